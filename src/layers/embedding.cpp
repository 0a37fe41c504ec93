#include <cmath>
#include <stdexcept>

#include "attn/layers.h"

namespace attn {

std::vector<float> sinusoidal_positions(int max_length, int width) {
  std::vector<float> table(static_cast<size_t>(max_length) * width);
  for (int pos = 0; pos < max_length; ++pos) {
    for (int i = 0; i < width; i += 2) {
      // Computed in double and rounded once, so the table matches PyTorch's float64-built one to the last bit
      // as often as possible; the exponent uses the even index 2j for both the sin and the cos column.
      const double angle = pos / std::pow(10000.0, static_cast<double>(i) / width);
      table[static_cast<size_t>(pos) * width + i] = static_cast<float>(std::sin(angle));
      if (i + 1 < width) table[static_cast<size_t>(pos) * width + i + 1] = static_cast<float>(std::cos(angle));
    }
  }
  return table;
}

void embed(const EmbeddingWeights& weights, const std::vector<float>& positions, int width, const int32_t* ids,
           int n, float* out) {
  // Rows of a large table (3.5 MiB for the bundled model) are mostly cache misses: ask for all of them first,
  // so that their loads overlap instead of waiting one row at a time.
  const size_t row_bytes = static_cast<size_t>(width) * sizeof(float);
  for (int i = 0; i < n; ++i) {
    const char* row = reinterpret_cast<const char*>(weights.table.data() + static_cast<size_t>(ids[i]) * width);
    for (size_t offset = 0; offset < row_bytes; offset += 64) __builtin_prefetch(row + offset);
  }
  for (int i = 0; i < n; ++i) {
    const float* row = weights.table.data() + static_cast<size_t>(ids[i]) * width;
    const float* pos = positions.data() + static_cast<size_t>(i) * width;
    float* dst = out + static_cast<size_t>(i) * width;
    for (int j = 0; j < width; ++j) dst[j] = row[j] + pos[j];
  }
}

void pack_weights(EmbeddingWeights& weights, const ModelConfig& config, bool use_kernel) {
  if (config.embedding_projection) {
    weights.projection_packed =
        ops::pack_matrix(weights.projection_weight.data(), config.d_model, config.embedding_width(), use_kernel);
  }
}

void embed_batch(const EmbeddingWeights& weights, const ModelConfig& config, const std::vector<float>& positions,
                 const std::vector<const int32_t*>& ids, const BatchLayout& layout, Workspace& work) {
  const int e = config.embedding_width();
  const auto rows = static_cast<size_t>(layout.total_tokens);
  float* states = ops::at_least(work.states, rows * config.d_model);
  // Without a projection e == d_model and the sums are the states; with one they wait in work.embedded [rows, e].
  float* sums = config.embedding_projection ? ops::at_least(work.embedded, rows * e) : states;
  for (int b = 0; b < layout.size(); ++b) {
    embed(weights, positions, e, ids[b], layout.lengths[b], sums + static_cast<size_t>(layout.offsets[b]) * e);
  }
  if (config.embedding_norm) {
    ops::layer_norm(sums, layout.total_tokens, e, weights.norm.gamma.data(), weights.norm.beta.data(),
                    config.layer_norm_eps);
  }
  if (config.embedding_projection) {
    if (weights.projection_packed.empty()) throw std::logic_error("embed_batch: projection not packed");
    ops::linear(sums, layout.total_tokens, weights.projection_packed, weights.projection_bias.data(), states);
  }
}

}  // namespace attn
