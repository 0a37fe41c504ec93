#include <cmath>

#include "attn/layers.h"

namespace attn {

std::vector<float> sinusoidal_positions(int max_length, int d_model) {
  std::vector<float> table(static_cast<size_t>(max_length) * d_model);
  for (int pos = 0; pos < max_length; ++pos) {
    for (int i = 0; i < d_model; i += 2) {
      // Computed in double and rounded once, so the table matches PyTorch's float64-built one to the last bit
      // as often as possible; the exponent uses the even index 2j for both the sin and the cos column.
      const double angle = pos / std::pow(10000.0, static_cast<double>(i) / d_model);
      table[static_cast<size_t>(pos) * d_model + i] = static_cast<float>(std::sin(angle));
      if (i + 1 < d_model) table[static_cast<size_t>(pos) * d_model + i + 1] = static_cast<float>(std::cos(angle));
    }
  }
  return table;
}

void embed(const EmbeddingWeights& weights, const std::vector<float>& positions, int d_model, const int32_t* ids,
           int n, float* out) {
  // Rows of a large table (3.5 MiB for the bundled model) are mostly cache misses: ask for all of them first,
  // so that their loads overlap instead of waiting one row at a time.
  const size_t row_bytes = static_cast<size_t>(d_model) * sizeof(float);
  for (int i = 0; i < n; ++i) {
    const char* row = reinterpret_cast<const char*>(weights.table.data() + static_cast<size_t>(ids[i]) * d_model);
    for (size_t offset = 0; offset < row_bytes; offset += 64) __builtin_prefetch(row + offset);
  }
  for (int i = 0; i < n; ++i) {
    const float* row = weights.table.data() + static_cast<size_t>(ids[i]) * d_model;
    const float* pos = positions.data() + static_cast<size_t>(i) * d_model;
    float* dst = out + static_cast<size_t>(i) * d_model;
    for (int j = 0; j < d_model; ++j) dst[j] = row[j] + pos[j];
  }
}

}  // namespace attn
