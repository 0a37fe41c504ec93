#include <algorithm>
#include <stdexcept>

#include "attn/layers.h"
#include "attn/ops.h"

namespace attn {

void pack_weights(FeedForwardWeights& weights, int d_model, int ffn_dim, bool use_kernel) {
  weights.linear1_packed = ops::pack_matrix(weights.linear1_weight.data(), ffn_dim, d_model, use_kernel);
  weights.linear2_packed = ops::pack_matrix(weights.linear2_weight.data(), d_model, ffn_dim, use_kernel);
}

void pack_weights(EncoderBlockWeights& weights, int d_model, int ffn_dim, bool use_kernel) {
  pack_weights(weights.attention, d_model, use_kernel);
  pack_weights(weights.ffn, d_model, ffn_dim, use_kernel);
}

void feed_forward(const FeedForwardWeights& weights, const ModelConfig& config, const float* x, int rows,
                  Workspace& work, float* out) {
  if (weights.linear1_packed.empty()) throw std::logic_error("feed_forward: weights not packed");
  const int d = config.d_model;
  const int f = config.ffn_dim;
  // Rows in chunks, so that a chunk's hidden layer [chunk, ffn_dim] (192 KiB at ffn_dim 512) is still in L2
  // when the second product reads it back; a whole batch's would be megabytes, written to and read from memory.
  constexpr int kChunk = 96;
  float* hidden = ops::at_least(work.hidden, static_cast<size_t>(std::min(rows, kChunk)) * f);  // [chunk, ffn_dim]
  for (int r0 = 0; r0 < rows; r0 += kChunk) {
    const int n = std::min(kChunk, rows - r0);
    const float* xs = x + static_cast<size_t>(r0) * d;
    // ReLU is applied as each tile is stored (no extra pass over the hidden layer); the GELUs take a pass.
    ops::linear(xs, n, weights.linear1_packed, weights.linear1_bias.data(), hidden,
                config.activation == Activation::Relu ? ops::Epilogue::Relu : ops::Epilogue::None);
    if (config.activation == Activation::Gelu) ops::gelu(hidden, static_cast<size_t>(n) * f);
    if (config.activation == Activation::GeluTanh) ops::gelu_tanh(hidden, static_cast<size_t>(n) * f);
    ops::linear(hidden, n, weights.linear2_packed, weights.linear2_bias.data(), out + static_cast<size_t>(r0) * d,
                ops::Epilogue::Accumulate);
  }
}

}  // namespace attn
