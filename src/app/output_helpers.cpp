#include "output_helpers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace attn::app {

std::string format_fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::vector<int> ranked_labels(const std::vector<float>& probabilities, size_t top_k) {
  std::vector<int> order(probabilities.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return probabilities[a] > probabilities[b]; });
  if (top_k > 0 && top_k < order.size()) order.resize(top_k);
  return order;
}

Rgb heat_color(double t) {
  t = std::clamp(t, 0.0, 1.0);
  const Rgb low{255, 247, 188}, high{215, 48, 39};
  auto mix = [t](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * t)); };
  return {mix(low.r, high.r), mix(low.g, high.g), mix(low.b, high.b)};
}

std::vector<double> relative_importance(const std::vector<float>& importance) {
  std::vector<double> out(importance.size(), 0.0);
  if (importance.empty()) return out;
  const auto [low, high] = std::minmax_element(importance.begin(), importance.end());
  const double range = static_cast<double>(*high) - static_cast<double>(*low);
  if (range <= 1e-9) return out;
  for (size_t i = 0; i < importance.size(); ++i) out[i] = (static_cast<double>(importance[i]) - *low) / range;
  return out;
}

std::vector<int> all_indices(int count) {
  std::vector<int> out(static_cast<size_t>(std::max(count, 0)));
  std::iota(out.begin(), out.end(), 0);
  return out;
}

}  // namespace attn::app
