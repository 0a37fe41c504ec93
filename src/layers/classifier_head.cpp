#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "attn/layers.h"
#include "attn/ops.h"

namespace attn {

void pack_weights(ClassifierWeights& weights, int d_model, int num_labels, bool use_kernel) {
  weights.packed = ops::pack_matrix(weights.weight.data(), num_labels, d_model, use_kernel);
  if (!weights.head_weight.empty()) {
    weights.head_packed = ops::pack_matrix(weights.head_weight.data(), d_model, d_model, use_kernel);
  }
}

namespace {

// Attention pooling of one input's n states [n, d]: w = softmax(x u / sqrt(d)), pooled = sum_i w[i] x[i].
void attention_pool(const float* states, int n, int d, const float* query, float* pooled, float* weights) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  ops::gemm(false, false, n, 1, d, scale, states, d, query, 1, 0.0f, weights, 1);  // [n, 1] = x u
  ops::softmax(weights, n);
  ops::gemm(true, false, 1, d, n, 1.0f, weights, 1, states, d, 0.0f, pooled, d);  // [1, d] = w^T x
}

}  // namespace

void pool_and_classify(const ClassifierWeights& weights, const ModelConfig& config, const BatchLayout& layout,
                       Workspace& work, float* logits, float* const* pooling_weights_out) {
  const int d = config.d_model;
  work.pooled.assign(static_cast<size_t>(layout.size()) * d, 0.0f);
  for (int b = 0; b < layout.size(); ++b) {
    float* pooled = work.pooled.data() + static_cast<size_t>(b) * d;
    const int n = layout.lengths[b];
    const float* states = work.states.data() + static_cast<size_t>(layout.offsets[b]) * d;  // [n, d]
    switch (config.pooling) {
      case Pooling::Mean: {
        for (int i = 0; i < n; ++i) ops::add_inplace(pooled, states + static_cast<size_t>(i) * d, d);
        const float inv_n = 1.0f / static_cast<float>(n);
        for (int j = 0; j < d; ++j) pooled[j] *= inv_n;
        break;
      }
      case Pooling::Max:
        std::copy(states, states + d, pooled);
        for (int i = 1; i < n; ++i)
          for (int j = 0; j < d; ++j) pooled[j] = std::max(pooled[j], states[static_cast<size_t>(i) * d + j]);
        break;
      case Pooling::First: std::copy(states, states + d, pooled); break;
      case Pooling::Last: std::copy(states + static_cast<size_t>(n - 1) * d, states + static_cast<size_t>(n) * d, pooled); break;
      case Pooling::Attention: {
        float* weights_out = pooling_weights_out != nullptr ? pooling_weights_out[b] : nullptr;
        float* scores = ops::at_least(work.scores, static_cast<size_t>(n));
        attention_pool(states, n, d, weights.pooling_query.data(), pooled, weights_out != nullptr ? weights_out : scores);
        break;
      }
    }
  }
  if (weights.packed.empty()) throw std::logic_error("classifier_head: weights not packed");
  const float* features = work.pooled.data();  // [batch, d]: what the classifier reads
  if (config.head != Head::Linear) {
    if (weights.head_packed.empty()) throw std::logic_error("classifier_head: head weights not packed");
    const size_t count = static_cast<size_t>(layout.size()) * d;
    float* hidden = ops::at_least(work.head_hidden, count);
    ops::linear(work.pooled.data(), layout.size(), weights.head_packed, weights.head_bias.data(), hidden,
                config.head == Head::DistilBert ? ops::Epilogue::Relu : ops::Epilogue::None);
    if (config.head == Head::BertPooler) ops::tanh_inplace(hidden, count);
    if (config.head == Head::Electra) ops::gelu(hidden, count);  // the erf form whatever config.activation says
    features = hidden;
  }
  ops::linear(features, layout.size(), weights.packed, weights.bias.data(), logits);
}

}  // namespace attn
