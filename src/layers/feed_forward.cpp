#include "attn/layers.h"
#include "attn/ops.h"

namespace attn {

void feed_forward(const FeedForwardWeights& weights, const ModelConfig& config, const float* x, int rows,
                  Workspace& work, float* out) {
  const int d = config.d_model;
  const int f = config.ffn_dim;
  work.hidden.resize(static_cast<size_t>(rows) * f);
  ops::linear(x, rows, d, weights.linear1_weight.data(), weights.linear1_bias.data(), f, work.hidden.data());
  switch (config.activation) {
    case Activation::Relu: ops::relu(work.hidden.data(), work.hidden.size()); break;
    case Activation::Gelu: ops::gelu(work.hidden.data(), work.hidden.size()); break;
  }
  ops::linear(work.hidden.data(), rows, f, weights.linear2_weight.data(), weights.linear2_bias.data(), d, out);
}

}  // namespace attn
