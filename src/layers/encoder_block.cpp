#include "attn/layers.h"
#include "attn/ops.h"

namespace attn {

void encoder_block(const EncoderBlockWeights& weights, const ModelConfig& config, const BatchLayout& layout,
                   Workspace& work, float* const* attention_sinks) {
  const int rows = layout.total_tokens;
  const int d = config.d_model;
  const size_t size = static_cast<size_t>(rows) * d;
  work.sublayer.resize(size);
  float* x = work.states.data();

  self_attention(weights.attention, config, x, layout, work, work.sublayer.data(), attention_sinks);
  ops::add_inplace(x, work.sublayer.data(), size);
  ops::layer_norm(x, rows, d, weights.attention_norm.gamma.data(), weights.attention_norm.beta.data(),
                  config.layer_norm_eps);

  feed_forward(weights.ffn, config, x, rows, work, work.sublayer.data());
  ops::add_inplace(x, work.sublayer.data(), size);
  ops::layer_norm(x, rows, d, weights.ffn_norm.gamma.data(), weights.ffn_norm.beta.data(), config.layer_norm_eps);
}

}  // namespace attn
