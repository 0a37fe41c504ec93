// Head aggregation and attention rollout on hand-computed cases, and their invariants on seeded random maps.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "attn/rollout.h"

namespace {

constexpr float kTolerance = 1e-6f;

attn::AttentionMaps make_maps(int layers, int heads, int n, std::vector<float> data) {
  attn::AttentionMaps maps;
  maps.num_layers = layers;
  maps.num_heads = heads;
  maps.length = n;
  maps.data = std::move(data);
  REQUIRE(maps.data.size() == static_cast<size_t>(layers) * heads * n * n);
  return maps;
}

void check_close(const std::vector<float>& actual, const std::vector<float>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    CHECK(actual[i] == Approx(expected[i]).margin(kTolerance));
  }
}

}  // namespace

TEST_CASE("heads aggregated by mean and max", "[rollout]") {
  // 1 layer, 2 heads, 2 tokens.
  const auto maps = make_maps(1, 2, 2, {1.0f, 0.0f, 0.5f, 0.5f,     // head 0
                                        0.2f, 0.8f, 0.9f, 0.1f});   // head 1
  check_close(attn::aggregate_heads(maps, 0, attn::HeadAggregate::Mean), {0.6f, 0.4f, 0.7f, 0.3f});
  check_close(attn::aggregate_heads(maps, 0, attn::HeadAggregate::Max), {1.0f, 0.8f, 0.9f, 0.5f});
  check_close(attn::aggregate_heads(maps, 0, attn::HeadAggregate::Mean, {1}), {0.2f, 0.8f, 0.9f, 0.1f});
}

TEST_CASE("rollout of two layers by hand", "[rollout]") {
  // Layer 0: A = [[1,0],[0.5,0.5]]  -> A' = 0.5A + 0.5I = [[1,0],[0.25,0.75]]
  // Layer 1: A = [[0,1],[0,1]]      -> A' = [[0.5,0.5],[0,1]]
  // R = A'1 A'0 = [[0.625,0.375],[0.25,0.75]]
  const auto maps = make_maps(2, 1, 2, {1.0f, 0.0f, 0.5f, 0.5f, 0.0f, 1.0f, 0.0f, 1.0f});
  check_close(attn::attention_rollout(maps), {0.625f, 0.375f, 0.25f, 0.75f});
  check_close(attn::rollout_importance(maps, attn::Pooling::Mean), {0.4375f, 0.5625f});
  check_close(attn::rollout_importance(maps, attn::Pooling::Max), {0.4375f, 0.5625f});
  check_close(attn::rollout_importance(maps, attn::Pooling::First), {0.625f, 0.375f});
  check_close(attn::rollout_importance(maps, attn::Pooling::Last), {0.25f, 0.75f});
  auto pooled = maps;
  pooled.pooling = {0.2f, 0.8f};
  check_close(attn::rollout_importance(pooled, attn::Pooling::Attention), {0.325f, 0.675f});
}

TEST_CASE("rollout averages the heads before adding the residual", "[rollout]") {
  // Head 0 attends to itself, head 1 to the other token: the mean is uniform, A' = [[0.75,0.25],[0.25,0.75]].
  const auto maps = make_maps(1, 2, 2, {1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.0f});
  check_close(attn::attention_rollout(maps), {0.75f, 0.25f, 0.25f, 0.75f});
}

TEST_CASE("rollout rows and importances sum to 1 on random maps", "[rollout]") {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const int layers = 3, heads = 4, n = 9;
  std::vector<float> data(static_cast<size_t>(layers) * heads * n * n);
  for (size_t row = 0; row < data.size() / n; ++row) {
    float sum = 0.0f;
    for (int k = 0; k < n; ++k) sum += data[row * n + k] = uniform(rng);
    for (int k = 0; k < n; ++k) data[row * n + k] /= sum;
  }
  const auto maps = make_maps(layers, heads, n, data);
  const auto rolled = attn::attention_rollout(maps);
  for (int q = 0; q < n; ++q) {
    double sum = 0.0;
    for (int k = 0; k < n; ++k) {
      CHECK(rolled[static_cast<size_t>(q) * n + k] >= 0.0f);
      sum += rolled[static_cast<size_t>(q) * n + k];
    }
    CHECK(sum == Approx(1.0).margin(1e-5));
  }
  double total = 0.0;
  for (float v : attn::rollout_importance(maps, attn::Pooling::Mean)) total += v;
  CHECK(total == Approx(1.0).margin(1e-5));
}

TEST_CASE("a single token gets all the importance", "[rollout]") {
  const auto maps = make_maps(2, 2, 1, {1.0f, 1.0f, 1.0f, 1.0f});
  check_close(attn::rollout_importance(maps, attn::Pooling::Mean), {1.0f});
}
