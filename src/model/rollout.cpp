#include "attn/rollout.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace attn {

std::vector<float> aggregate_heads(const AttentionMaps& maps, int layer, HeadAggregate how,
                                   const std::vector<int>& heads) {
  if (how == HeadAggregate::None) throw std::invalid_argument("aggregate_heads: no aggregation asked for");
  std::vector<int> chosen = heads;
  if (chosen.empty()) {
    for (int h = 0; h < maps.num_heads; ++h) chosen.push_back(h);
  }
  const int n = maps.length;
  std::vector<float> out(static_cast<size_t>(n) * n);
  for (int q = 0; q < n; ++q) {
    for (int k = 0; k < n; ++k) {
      double sum = 0.0;
      float best = 0.0f;  // weights are >= 0
      for (int h : chosen) {
        const float w = maps.at(layer, h, q, k);
        sum += w;
        best = std::max(best, w);
      }
      out[static_cast<size_t>(q) * n + k] =
          how == HeadAggregate::Max ? best : static_cast<float>(sum / static_cast<double>(chosen.size()));
    }
  }
  return out;
}

std::vector<float> attention_rollout(const AttentionMaps& maps) {
  const size_t n = static_cast<size_t>(maps.length);
  // Accumulated in double: the product of up to num_layers row-stochastic matrices, [n, n].
  std::vector<double> rolled(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) rolled[i * n + i] = 1.0;
  std::vector<double> layer(n * n), next(n * n);
  for (int l = 0; l < maps.num_layers; ++l) {
    const std::vector<float> mean = aggregate_heads(maps, l, HeadAggregate::Mean);
    for (size_t q = 0; q < n; ++q) {
      double row_sum = 0.0;
      for (size_t k = 0; k < n; ++k) {
        const double value = 0.5 * mean[q * n + k] + (q == k ? 0.5 : 0.0);
        layer[q * n + k] = value;
        row_sum += value;
      }
      for (size_t k = 0; k < n; ++k) layer[q * n + k] /= row_sum;
    }
    // next = layer * rolled: layer l mixes the states that the layers below already mixed.
    std::fill(next.begin(), next.end(), 0.0);
    for (size_t q = 0; q < n; ++q) {
      for (size_t m = 0; m < n; ++m) {
        const double a = layer[q * n + m];
        if (a == 0.0) continue;
        for (size_t k = 0; k < n; ++k) next[q * n + k] += a * rolled[m * n + k];
      }
    }
    rolled.swap(next);
  }
  return std::vector<float>(rolled.begin(), rolled.end());
}

std::vector<float> rollout_importance(const AttentionMaps& maps, Pooling pooling) {
  const size_t n = static_cast<size_t>(maps.length);
  std::vector<double> row_weights(n, 1.0 / static_cast<double>(n));
  if (pooling == Pooling::First) {
    std::fill(row_weights.begin(), row_weights.end(), 0.0);
    row_weights.front() = 1.0;
  } else if (pooling == Pooling::Last) {
    std::fill(row_weights.begin(), row_weights.end(), 0.0);
    row_weights.back() = 1.0;
  } else if (pooling == Pooling::Attention) {
    if (maps.pooling.size() != n) {
      throw std::invalid_argument("rollout_importance: attention pooling needs the pooling weights of all " +
                                  std::to_string(n) + " tokens");
    }
    row_weights.assign(maps.pooling.begin(), maps.pooling.end());
  }
  const std::vector<float> rolled = attention_rollout(maps);
  std::vector<double> importance(n, 0.0);
  for (size_t q = 0; q < n; ++q) {
    for (size_t k = 0; k < n; ++k) importance[k] += row_weights[q] * rolled[q * n + k];
  }
  return std::vector<float>(importance.begin(), importance.end());
}

}  // namespace attn
