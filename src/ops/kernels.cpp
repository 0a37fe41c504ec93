#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "attn/ops.h"
#include "exp_poly.h"

// The row kernels are written so that GCC vectorises them (no library calls, no data-dependent branches,
// reductions over kLanes partial sums), and built twice: for x86-64-v3 (AVX2 + FMA) and for the baseline,
// the better chosen when the program starts (GCC function multi-versioning). Without it, a portable build would
// use 4-wide SSE2 on machines that have 8-wide FMA.
// The GELUs, per value the costliest of them (about 25 flops), are also built for x86-64-v4 (AVX-512).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(ATTN_NO_CLONES)
#define ATTN_ROW_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#define ATTN_ELEMENTWISE_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ATTN_ROW_KERNEL
#define ATTN_ELEMENTWISE_KERNEL
#endif

namespace attn::ops {
namespace {

// Partial sums per reduction: a multiple of the widest vector (8 floats), so a reduction vectorises without
// reordering licences (-ffast-math), and the order, hence the result, is the same in every build.
constexpr int kLanes = 8;

inline float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// exp(x) for x <= 0 with a relative error below 2^-22; the method and its constants are in exp_poly.h.
__attribute__((always_inline)) inline float exp_nonpositive_inline(float x) {
  using namespace exp_poly;
  constexpr float kRound = 12582912.0f;            // 1.5 * 2^23: adding it rounds to the nearest integer
  x = x < kLowest ? kLowest : x;
  const float n = (x * kLog2e + kRound) - kRound;  // round(x / ln 2), in [-126, 0]
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;
  float p = kTaylor[0];
#pragma GCC unroll 8
  for (int i = 1; i < kTerms; ++i) p = p * r + kTaylor[i];
  const auto exponent = static_cast<uint32_t>(static_cast<int32_t>(n) + 127);
  return p * bits_to_float(exponent << 23);
}

}  // namespace

float exp_nonpositive(float x) { return exp_nonpositive_inline(x); }

namespace {

// Sum of term(v[i]) and maximum of v[i] over i < n, in kLanes partial results and then the tail: vectorisable,
// and in the same order in every build.
template <typename Term>
inline float lane_sum(const float* v, int n, Term term) {
  float lanes[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += term(v[i + l]);
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += term(v[i]);
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  return sum;
}

inline float lane_max(const float* v, int n) {
  float lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = v[0];
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] = v[i + l] > lanes[l] ? v[i + l] : lanes[l];
  }
  float max = v[0];
  for (; i < n; ++i) max = v[i] > max ? v[i] : max;
  for (int l = 0; l < kLanes; ++l) max = lanes[l] > max ? lanes[l] : max;
  return max;
}

}  // namespace

ATTN_ROW_KERNEL void softmax(float* row, int n) {
  const float max_score = lane_max(row, n);
  for (int i = 0; i < n; ++i) row[i] = exp_nonpositive_inline(row[i] - max_score);
  const float inv = 1.0f / lane_sum(row, n, [](float value) { return value; });
  for (int i = 0; i < n; ++i) row[i] *= inv;
}

ATTN_ROW_KERNEL void layer_norm(float* x, int rows, int dim, const float* gamma, const float* beta, float eps) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<size_t>(r) * dim;
    // Two passes (mean, then the mean of squared deviations), as PyTorch's CPU kernel does; the partial sums
    // keep float rounding well inside the 1e-5 the goldens allow.
    const float mean = lane_sum(v, dim, [](float value) { return value; }) / static_cast<float>(dim);
    const float var =
        lane_sum(v, dim, [mean](float value) { return (value - mean) * (value - mean); }) / static_cast<float>(dim);
    const float inv_std = 1.0f / std::sqrt(var + eps);
    for (int i = 0; i < dim; ++i) v[i] = (v[i] - mean) * inv_std * gamma[i] + beta[i];
  }
}

ATTN_ROW_KERNEL void relu(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// GELU in the form GCC vectorises (no library call, no branch): both forms reduce to exp_nonpositive_inline.
// The erf form uses erfc(z) = t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-z^2), t = 1 / (1 + p z), z >= 0
// (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7), and takes 1 + erf(v / sqrt 2) as erfc(z) for v < 0
// and 2 - erfc(z) otherwise, so the negative tail is not 1 minus a number near 1.
ATTN_ELEMENTWISE_KERNEL void gelu(float* x, size_t n) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  constexpr float kP = 0.3275911f;
  constexpr float kA[] = {1.061405429f, -1.453152027f, 1.421413741f, -0.284496736f, 0.254829592f};
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float z = std::fabs(v) * kInvSqrt2;
    const float t = 1.0f / (1.0f + kP * z);
    float poly = kA[0];
    for (int k = 1; k < 5; ++k) poly = poly * t + kA[k];
    const float erfc = t * poly * exp_nonpositive_inline(-z * z);
    x[i] = 0.5f * v * (v < 0.0f ? erfc : 2.0f - erfc);
  }
}

// 0.5 v (1 + tanh(u)) = v sigmoid(2u) = v / (1 + exp(-2u)); exp of -2|u| only, so nothing overflows.
ATTN_ELEMENTWISE_KERNEL void gelu_tanh(float* x, size_t n) {
  constexpr float kSqrt2OverPi = 0.79788456080286536f;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = kSqrt2OverPi * (v + 0.044715f * v * v * v);
    const float e = exp_nonpositive_inline(-2.0f * std::fabs(u));  // exp(-2|u|) in (0, 1]
    x[i] = v * (u < 0.0f ? e : 1.0f) / (1.0f + e);
  }
}

void tanh_inplace(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}

ATTN_ROW_KERNEL void add_bias(float* y, int rows, int cols, const float* bias) {
  for (int r = 0; r < rows; ++r) {
    float* row = y + static_cast<size_t>(r) * cols;
    for (int j = 0; j < cols; ++j) row[j] += bias[j];
  }
}

ATTN_ROW_KERNEL void add_inplace(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace attn::ops
