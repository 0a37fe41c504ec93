#include <algorithm>
#include <cstring>

#include "attn/ops.h"
#include "avx2_target.h"

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
  scratch.keys.resize(static_cast<size_t>(d_model) * padded);
  scratch.probs.resize(static_cast<size_t>(n) * padded);
  float* kt = scratch.keys.data();
  float* p = scratch.probs.data();  // [n, padded]
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
      softmax(row, visible);
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
