#pragma once
// Numeric kernels on row-major float32 buffers. The only layer that knows about BLAS.
#include <cstddef>
#include <vector>

namespace attn::ops {

// C[m,n] = alpha * op(A) op(B) + beta * C, row-major, where op(X) = X^T when trans_X.
// A is [m,k] (or [k,m] when trans_a), B is [k,n] (or [n,k] when trans_b); lda/ldb/ldc are row strides.
// OpenBLAS sgemm: the products the AVX2 kernels below do not take (no AVX2 + FMA, other head widths, pooling).
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc);

// Threads OpenBLAS may use inside one gemm call.
void set_blas_threads(int threads);

// The same contract as gemm, as a plain triple loop in double precision: the reference tests compare against.
void gemm_reference(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                    const float* b, int ldb, float beta, float* c, int ldc);

// A weight matrix W [out, in] (nn.Linear's layout) prepared once at load for linear() below. With the AVX2 + FMA
// kernel, data is W^T cut into panels of kPanel output columns, [panel][in][kPanel], zero-padded; otherwise it
// is W as given and OpenBLAS does the product.
struct PackedMatrix {
  static constexpr int kPanel = 16;
  int out = 0;
  int in = 0;
  bool kernel = false;  // data is in panels for the AVX2 + FMA kernel
  std::vector<float> data;

  bool empty() const { return data.empty(); }
};

// Whether this CPU runs the AVX2 + FMA kernel (checked once).
bool packed_kernel_available();

// Packs W [out, in] for linear(); use_kernel false keeps OpenBLAS (the tests compare the two).
PackedMatrix pack_matrix(const float* weight, int out, int in, bool use_kernel = true);

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
  std::vector<float> keys;   // [d_model, n rounded up to 8] the keys of every head, transposed
  std::vector<float> probs;  // [n, n rounded up to 8] its scores, then its attention weights
};

// Whether attention_heads can run heads of this width here (AVX2 + FMA, d_head a multiple of 8).
bool attention_kernel_available(int d_head);

// Every head of dot-product attention over one input of n tokens. qkv is [n, 3 * d_model] (queries, keys,
// values; head h at columns h * d_head of each). Per head, A = softmax(scale q k^T), keys after the query masked
// out when causal, and context[:, head h] = A v, context [n, d_model]. weights, when not null, receives every
// A as [heads, n, n]. Only where attention_kernel_available(d_model / heads).
void attention_heads(const float* qkv, int n, int d_model, int heads, float scale, bool causal,
                     AttentionScratch& scratch, float* context, float* weights);

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
