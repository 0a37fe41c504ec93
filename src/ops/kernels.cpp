#include <algorithm>
#include <cmath>

#include "attn/ops.h"

namespace attn::ops {

void softmax(float* row, int n) {
  const float max_score = *std::max_element(row, row + n);
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    row[i] = std::exp(row[i] - max_score);
    sum += row[i];
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < n; ++i) row[i] *= inv;
}

void layer_norm(float* x, int rows, int dim, const float* gamma, const float* beta, float eps) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<size_t>(r) * dim;
    // Two passes in float, as PyTorch's CPU kernel does, to stay within 1e-6 of it.
    float mean = 0.0f;
    for (int i = 0; i < dim; ++i) mean += v[i];
    mean /= static_cast<float>(dim);
    float var = 0.0f;
    for (int i = 0; i < dim; ++i) {
      const float centred = v[i] - mean;
      var += centred * centred;
    }
    var /= static_cast<float>(dim);
    const float inv_std = 1.0f / std::sqrt(var + eps);
    for (int i = 0; i < dim; ++i) v[i] = (v[i] - mean) * inv_std * gamma[i] + beta[i];
  }
}

void relu(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
}

void gelu(float* x, size_t n) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
}

void add_inplace(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace attn::ops
