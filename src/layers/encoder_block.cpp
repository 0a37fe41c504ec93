#include "attn/layers.h"
#include "attn/ops.h"

namespace attn {
namespace {

void norm(const LayerNormWeights& w, const ModelConfig& config, float* x, int rows) {
  ops::layer_norm(x, rows, config.d_model, w.gamma.data(), w.beta.data(), config.layer_norm_eps);
}

}  // namespace

void encoder_block(const EncoderBlockWeights& weights, const ModelConfig& config, const BatchLayout& layout,
                   Workspace& work, float* const* attention_weights_out) {
  const int rows = layout.total_tokens;
  float* x = work.states.data();  // [rows, d_model], the residual stream
  // Both sublayers add their output into x as they store it (ops::Epilogue::Accumulate).
  if (config.norm_placement == NormPlacement::Post) {
    self_attention(weights.attention, config, x, layout, work, x, attention_weights_out);
    norm(weights.attention_norm, config, x, rows);
    feed_forward(weights.ffn, config, x, rows, work, x);
    norm(weights.ffn_norm, config, x, rows);
    return;
  }
  // Pre-norm: each sublayer reads a normalised copy; the residual stream x itself is never normalised here.
  const size_t size = static_cast<size_t>(rows) * config.d_model;
  work.normed.assign(x, x + size);
  norm(weights.attention_norm, config, work.normed.data(), rows);
  self_attention(weights.attention, config, work.normed.data(), layout, work, x, attention_weights_out);
  work.normed.assign(x, x + size);
  norm(weights.ffn_norm, config, work.normed.data(), rows);
  feed_forward(weights.ffn, config, work.normed.data(), rows, work, x);
}

}  // namespace attn
