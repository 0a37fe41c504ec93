#include <algorithm>
#include <cstring>
#include <limits>

#include "attn/ops.h"
#include "avx2_target.h"
#include "exp_poly.h"

// One head of dot-product attention with AVX2 + FMA, for head widths that are a multiple of 8. OpenBLAS ran
// each head's two small products (n x n x d_head, then n x d_head x n) as separate calls, each packing its
// operands: at 10 to 64 tokens and d_head 16 the calls cost more than their arithmetic.

namespace attn::ops {
namespace {

constexpr int kWidth = 8;

#if ATTN_HAVE_AVX2_KERNEL
// out[r][0 .. 8 * vectors) = scale * sum_t a[r * lda + t] * b[t * ldb + (0 .. 8 * vectors)], for r < rows and
// t < depth: a rows broadcast, b rows read as vectors. Both the scores (a = q, b = k^T) and the context
// (a = probabilities, b = v) are this product.
template <int rows, int vectors>
ATTN_AVX2 void tile(const float* a, size_t lda, const float* b, size_t ldb, int depth, float scale, float* out,
                    size_t ldo) {
  __m256 acc[rows][vectors];
#pragma GCC unroll 6
  for (int r = 0; r < rows; ++r)
    for (int v = 0; v < vectors; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int t = 0; t < depth; ++t) {
    __m256 bv[vectors];
    for (int v = 0; v < vectors; ++v) bv[v] = _mm256_loadu_ps(b + t * ldb + v * kWidth);
#pragma GCC unroll 6
    for (int r = 0; r < rows; ++r) {
      const __m256 x = _mm256_broadcast_ss(a + r * lda + t);
      for (int v = 0; v < vectors; ++v) acc[r][v] = _mm256_fmadd_ps(x, bv[v], acc[r][v]);
    }
  }
  const __m256 s = _mm256_set1_ps(scale);
#pragma GCC unroll 6
  for (int r = 0; r < rows; ++r)
    for (int v = 0; v < vectors; ++v) _mm256_storeu_ps(out + r * ldo + v * kWidth, _mm256_mul_ps(acc[r][v], s));
}

template <int rows>
ATTN_AVX2 void row_tiles(const float* a, size_t lda, const float* b, size_t ldb, int depth, float scale, float* out,
                         size_t ldo, int width) {
  int c = 0;
  for (; c + 2 * kWidth <= width; c += 2 * kWidth) tile<rows, 2>(a, lda, b + c, ldb, depth, scale, out + c, ldo);
  if (c < width) tile<rows, 1>(a, lda, b + c, ldb, depth, scale, out + c, ldo);
}

// exp(x) for x <= 0 in eight lanes, with exp_nonpositive's method and constants (exp_poly.h), so both paths
// agree to float rounding. Lanes above 0 give garbage; callers mask them. NaN stays NaN, as in the scalar one:
// max_ps returns its second operand when either is NaN, so x goes second.
ATTN_AVX2 inline __m256 exp_nonpositive8(__m256 x) {
  using namespace exp_poly;
  x = _mm256_max_ps(_mm256_set1_ps(kLowest), x);
  const __m256 n =
      _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kTaylor[0]);
#pragma GCC unroll 8
  for (int i = 1; i < kTerms; ++i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kTaylor[i]));
  const __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

// All ones in lanes l < count, zeros elsewhere.
ATTN_AVX2 inline __m256 lanes_below(int count) {
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

// Softmax over row[0, visible), in place, in whole vectors: row has room for visible rounded up to 8, and those
// extra lanes end as 0. Not ops::softmax per row: that is a call through the CPU dispatch and three passes with
// scalar tails for every row of every head.
ATTN_AVX2 void softmax_row(float* row, int visible) {
  const int vectors = (visible + kWidth - 1) / kWidth;
  const __m256 lowest = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 top = lowest;
  for (int v = 0; v < vectors; ++v) {
    const __m256 seen = lanes_below(visible - v * kWidth);
    top = _mm256_max_ps(top, _mm256_blendv_ps(lowest, _mm256_loadu_ps(row + v * kWidth), seen));
  }
  top = _mm256_max_ps(top, _mm256_permute2f128_ps(top, top, 1));
  top = _mm256_max_ps(top, _mm256_permute_ps(top, 0x4e));
  top = _mm256_max_ps(top, _mm256_permute_ps(top, 0xb1));
  __m256 sum = _mm256_setzero_ps();
  for (int v = 0; v < vectors; ++v) {
    const __m256 shifted = _mm256_sub_ps(_mm256_loadu_ps(row + v * kWidth), top);
    const __m256 e = _mm256_and_ps(exp_nonpositive8(shifted), lanes_below(visible - v * kWidth));
    _mm256_storeu_ps(row + v * kWidth, e);
    sum = _mm256_add_ps(sum, e);
  }
  sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(sum, sum, 1));
  sum = _mm256_add_ps(sum, _mm256_permute_ps(sum, 0x4e));
  sum = _mm256_add_ps(sum, _mm256_permute_ps(sum, 0xb1));
  const __m256 inv = _mm256_div_ps(_mm256_set1_ps(1.0f), sum);
  for (int v = 0; v < vectors; ++v) {
    _mm256_storeu_ps(row + v * kWidth, _mm256_mul_ps(_mm256_loadu_ps(row + v * kWidth), inv));
  }
}

// out [m, width] = scale * a [m, depth] b [depth, width]; width a multiple of 8.
ATTN_AVX2 void product(const float* a, size_t lda, const float* b, size_t ldb, int m, int depth, int width,
                       float scale, float* out, size_t ldo) {
  for (int i = 0; i < m; i += kTileRows) {
    const float* ai = a + i * lda;
    float* oi = out + i * ldo;
    with_tile_rows(m - i, [&](auto tile_rows) {
      row_tiles<decltype(tile_rows)::value>(ai, lda, b, ldb, depth, scale, oi, ldo, width);
    });
  }
}
#endif

}  // namespace

bool attention_kernel_available(int d_head) {
  return packed_kernel_available() && d_head > 0 && d_head % kWidth == 0;  // false in a build without the kernels
}

void attention_heads(const float* qkv, int n, int d_model, int heads, float scale, bool causal,
                     AttentionScratch& scratch, float* context, float* weights) {
#if ATTN_HAVE_AVX2_KERNEL
  const int d_head = d_model / heads;
  const size_t ld = 3 * static_cast<size_t>(d_model);
  const int padded = (n + kWidth - 1) / kWidth * kWidth;  // keys rounded up to whole vectors
  // Every head's keys transposed at once, [d_model, padded]: row t holds feature t of keys 0..n-1, then zeros.
  float* kt = at_least(scratch.keys, static_cast<size_t>(d_model) * padded);
  float* p = at_least(scratch.probs, static_cast<size_t>(n) * padded);  // [n, padded]
  for (int t = 0; t < d_model; ++t) {
    float* row = kt + static_cast<size_t>(t) * padded;
    const float* k = qkv + d_model + t;
    for (int j = 0; j < n; ++j) row[j] = k[j * ld];
    std::fill(row + n, row + padded, 0.0f);
  }
  for (int h = 0; h < heads; ++h) {
    const float* q = qkv + h * d_head;                // [n, d_head], row stride ld
    const float* v = qkv + 2 * d_model + h * d_head;  // [n, d_head], row stride ld
    product(q, ld, kt + static_cast<size_t>(h) * d_head * padded, padded, n, d_head, padded, scale, p, padded);
    float* head_weights = weights != nullptr ? weights + static_cast<size_t>(h) * n * n : nullptr;
    for (int i = 0; i < n; ++i) {
      float* row = p + static_cast<size_t>(i) * padded;
      // Causal: query i sees keys 0..i; the later keys get weight exactly 0 (the -inf of the mask).
      const int visible = causal ? i + 1 : n;
      softmax_row(row, visible);
      std::fill(row + visible, row + n, 0.0f);
      if (head_weights != nullptr) std::copy(row, row + n, head_weights + static_cast<size_t>(i) * n);
    }
    product(p, padded, v, ld, n, n, d_head, 1.0f, context + h * d_head, d_model);
  }
#else
  (void)qkv, (void)n, (void)d_model, (void)heads, (void)scale, (void)causal, (void)scratch, (void)context;
  (void)weights;
#endif
}

}  // namespace attn::ops
