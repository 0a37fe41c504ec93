#pragma once
// Numeric kernels on row-major float32 buffers. The only layer that knows about BLAS.
#include <cstddef>
#include <vector>

namespace attn::ops {

// C[m,n] = alpha * op(A) op(B) + beta * C, row-major, where op(X) = X^T when trans_X.
// A is [m,k] (or [k,m] when trans_a), B is [k,n] (or [n,k] when trans_b); lda/ldb/ldc are row strides.
// OpenBLAS sgemm: the products the kernels below do not take (no AVX2 + FMA, other head widths, pooling).
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc);

// Threads OpenBLAS may use inside one gemm call.
void set_blas_threads(int threads);

// The same contract as gemm, as a plain triple loop in double precision: the reference tests compare against.
void gemm_reference(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                    const float* b, int ldb, float beta, float* c, int ldc);

// The instruction sets of the hand-written kernels, narrowest first. Portable: OpenBLAS and compiler-vectorised
// loops; Avx2: AVX2 + FMA, 8 floats a vector; Avx512: AVX-512F, 16 floats a vector.
enum class Isa { Portable, Avx2, Avx512 };

// "portable", "avx2", "avx512": the values ATTN_ISA takes and what `attn info` prints.
const char* isa_name(Isa isa);

// The widest set this CPU (and this build) runs, checked once.
Isa cpu_isa();

// cpu_isa(), capped by the environment variable ATTN_ISA (portable, avx2 or avx512) when set: what the model packs
// its weights for. Read once.
Isa kernel_isa();

// A weight matrix W [out, in] (nn.Linear's layout) prepared once at load for linear() below. For a kernel ISA,
// data is W^T cut into panels of panel() output columns (two vectors), [panel][in][panel()], zero-padded; for
// Portable it is W as given and OpenBLAS does the product.
struct PackedMatrix {
  int out = 0;
  int in = 0;
  Isa isa = Isa::Portable;  // the kernel that data is laid out for
  std::vector<float> data;

  bool empty() const { return data.empty(); }
  bool kernel() const { return isa != Isa::Portable; }
  int panel() const { return isa == Isa::Avx512 ? 32 : 16; }
};

// Packs W [out, in] for linear() with the kernel of `isa`, narrowed to what the CPU runs (the tests ask for each).
PackedMatrix pack_matrix(const float* weight, int out, int in, Isa isa);

// use_kernel: kernel_isa(); otherwise OpenBLAS.
inline PackedMatrix pack_matrix(const float* weight, int out, int in, bool use_kernel = true) {
  return pack_matrix(weight, out, in, use_kernel ? kernel_isa() : Isa::Portable);
}

// What linear() does to each result after x W^T + bias: nothing, ReLU, or add it to what y already holds
// (the residual connection).
enum class Epilogue { None, Relu, Accumulate };

// y[rows, w.out] = x[rows, w.in] W^T + bias (bias may be null), then the epilogue. x rows are contiguous.
void linear(const float* x, int rows, const PackedMatrix& w, const float* bias, float* y,
            Epilogue epilogue = Epilogue::None);

// buffer with room for at least `size` floats -> its data. A reused buffer only ever grows: resize() to a size
// that varies with each input's length would zero-fill the new part every time it grew back.
inline float* at_least(std::vector<float>& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

// Buffers attention_heads reuses between calls.
struct AttentionScratch {
  std::vector<float> keys;   // [d_model, n rounded up to a vector] the keys of every head, transposed
  std::vector<float> probs;  // [n, n rounded up to a vector] its scores, then its attention weights; streaming:
                             // one block of scores, one of partial context, and the running max and sum
};

// The instruction set attention_heads uses for heads of width d_head when the weights were packed for `packed`:
// Avx512 for widths that are a multiple of 16, Avx2 (not above `packed`) for multiples of 8, else Portable
// (the caller then does the heads with gemm and softmax).
Isa attention_isa(int d_head, Isa packed);

// Every head of dot-product attention over one input of n tokens, with the kernel of `isa` (an
// attention_isa() that is not Portable). qkv is [n, 3 * d_model] (queries, keys, values; head h at columns
// h * d_head of each). Per head, A = softmax(scale q k^T), keys after the query masked out when causal, and
// context[:, head h] = A v, context [n, d_model]. weights, when not null, receives every A as [heads, n, n].
// Without weights and past one key block (kAttentionBlock tokens), it runs attention_heads_streaming.
void attention_heads(const float* qkv, int n, int d_model, int heads, float scale, bool causal, Isa isa,
                     AttentionScratch& scratch, float* context, float* weights);

// Keys per block of the streaming path, and queries per block: a multiple of every vector width.
constexpr int kAttentionBlock = 64;

// The same context without the n x n matrix: per block of kAttentionBlock queries, the keys in blocks of
// kAttentionBlock with an online softmax (a running maximum and sum per query; the context so far rescaled when
// the maximum grows). Memory O(n d_model + block^2) instead of O(n^2).
void attention_heads_streaming(const float* qkv, int n, int d_model, int heads, float scale, bool causal, Isa isa,
                               AttentionScratch& scratch, float* context);

// exp(x) for x <= 0, to a relative error below 2^-22 (x below -87 gives exp(-87)). Softmax's exponential:
// std::exp is a library call the compiler cannot vectorise, and softmax calls it for every score.
float exp_nonpositive(float x);

// Softmax of one row of n scores, in place, computed stably (max subtracted). n must be > 0.
void softmax(float* row, int n);

// Layer norm of each of `rows` rows of width dim, in place: (x - mean) / sqrt(var + eps) * gamma + beta,
// with the biased variance, as torch.nn.LayerNorm computes it.
void layer_norm(float* x, int rows, int dim, const float* gamma, const float* beta, float eps);

// x = max(x, 0), elementwise.
void relu(float* x, size_t n);

// x = 0.5 x (1 + erf(x / sqrt(2))), elementwise: the exact GELU, as torch.nn.functional.gelu computes it.
void gelu(float* x, size_t n);

// x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise: the tanh approximation of GELU
// (torch.nn.functional.gelu with approximate="tanh"; Hugging Face's gelu_new and gelu_pytorch_tanh).
void gelu_tanh(float* x, size_t n);

// x = tanh(x), elementwise.
void tanh_inplace(float* x, size_t n);

// y[r, :] += bias for each of `rows` rows of width cols.
void add_bias(float* y, int rows, int cols, const float* bias);

// y += x, elementwise.
void add_inplace(float* y, const float* x, size_t n);

}  // namespace attn::ops
