#include "attn/layers.h"
#include "attn/ops.h"

namespace attn {

void pool_and_classify(const ClassifierWeights& weights, const ModelConfig& config, const BatchLayout& layout,
                       Workspace& work, float* logits) {
  const int d = config.d_model;
  work.pooled.assign(static_cast<size_t>(layout.size()) * d, 0.0f);
  for (int b = 0; b < layout.size(); ++b) {
    float* pooled = work.pooled.data() + static_cast<size_t>(b) * d;
    const int n = layout.lengths[b];
    for (int i = 0; i < n; ++i) ops::add_inplace(pooled, work.states.data() + static_cast<size_t>(layout.offsets[b] + i) * d, d);
    const float inv_n = 1.0f / static_cast<float>(n);
    for (int j = 0; j < d; ++j) pooled[j] *= inv_n;
  }
  ops::linear(work.pooled.data(), layout.size(), d, weights.weight.data(), weights.bias.data(), config.num_labels,
              logits);
}

}  // namespace attn
