// Layers on hand-computed cases: pooling, the sinusoidal positions of the embedding, the encoder-block variants.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "attn/layers.h"
#include "attn/ops.h"

namespace {

// Runs pool_and_classify with an identity classifier, so the logits are the pooled vector itself.
std::vector<float> pool(attn::Pooling pooling, const std::vector<float>& states, int n, int d,
                        std::vector<float> query = {}, std::vector<float>* weights = nullptr) {
  attn::ModelConfig c;
  c.d_model = d;
  c.num_labels = d;
  c.pooling = pooling;
  attn::ClassifierWeights w;
  w.weight.assign(static_cast<size_t>(d) * d, 0.0f);
  for (int i = 0; i < d; ++i) w.weight[static_cast<size_t>(i) * d + i] = 1.0f;
  w.bias.assign(d, 0.0f);
  w.pooling_query = std::move(query);
  attn::pack_weights(w, d, d);
  attn::BatchLayout layout;
  layout.add(n);
  attn::Workspace work;
  work.states = states;
  std::vector<float> logits(d);
  if (weights != nullptr) weights->resize(n);
  float* weights_out[] = {weights != nullptr ? weights->data() : nullptr};
  attn::pool_and_classify(w, c, layout, work, logits.data(), weights_out);
  return logits;
}

}  // namespace

TEST_CASE("every pooling on a hand-computed case", "[pooling]") {
  const std::vector<float> x = {1, -2, 3, 0, -1, 5};  // [3 tokens, d 2]
  CHECK(pool(attn::Pooling::Mean, x, 3, 2) == std::vector<float>{1.0f, 1.0f});
  CHECK(pool(attn::Pooling::Max, x, 3, 2) == std::vector<float>{3.0f, 5.0f});
  CHECK(pool(attn::Pooling::First, x, 3, 2) == std::vector<float>{1.0f, -2.0f});
  CHECK(pool(attn::Pooling::Last, x, 3, 2) == std::vector<float>{-1.0f, 5.0f});

  // Attention pooling with u = (sqrt(2), 0): scores x u / sqrt(2) = first coordinates (1, 3, -1).
  std::vector<float> w;
  const auto pooled = pool(attn::Pooling::Attention, x, 3, 2, {std::sqrt(2.0f), 0.0f}, &w);
  const double z = std::exp(1.0) + std::exp(3.0) + std::exp(-1.0);
  const double w0 = std::exp(1.0) / z, w1 = std::exp(3.0) / z, w2 = std::exp(-1.0) / z;
  CHECK(w[0] == Approx(w0).margin(1e-6));
  CHECK(w[1] == Approx(w1).margin(1e-6));
  CHECK(w[2] == Approx(w2).margin(1e-6));
  CHECK(pooled[0] == Approx(w0 * 1 + w1 * 3 + w2 * -1).margin(1e-5));
  CHECK(pooled[1] == Approx(w0 * -2 + w1 * 0 + w2 * 5).margin(1e-5));
}

TEST_CASE("pre-norm and post-norm blocks differ as specified", "[layers]") {
  // Zero attention and feed-forward weights with biases: each sublayer outputs its bias, whatever its input.
  attn::ModelConfig c;
  c.d_model = 2;
  c.num_heads = 1;
  c.ffn_dim = 2;
  c.layer_norm_eps = 1e-6f;
  attn::EncoderBlockWeights w;
  w.attention.qkv_weight.assign(12, 0.0f);
  w.attention.qkv_bias.assign(6, 0.0f);
  w.attention.output_weight.assign(4, 0.0f);
  w.attention.output_bias = {1.0f, 0.0f};
  w.ffn.linear1_weight.assign(4, 0.0f);
  w.ffn.linear1_bias.assign(2, 0.0f);
  w.ffn.linear2_weight.assign(4, 0.0f);
  w.ffn.linear2_bias = {0.0f, 2.0f};
  w.attention_norm = {{1.0f, 1.0f}, {0.0f, 0.0f}};
  w.ffn_norm = {{1.0f, 1.0f}, {0.0f, 0.0f}};
  attn::pack_weights(w, 2, 2);
  attn::BatchLayout layout;
  layout.add(1);
  attn::Workspace work;

  // Post: x=(3,1) -> LN((4,1)) = (1,-1) -> LN((1,1)) = (0,0).
  c.norm_placement = attn::NormPlacement::Post;
  work.states = {3.0f, 1.0f};
  attn::encoder_block(w, c, layout, work, nullptr);
  CHECK(work.states[0] == Approx(0.0f).margin(1e-3));
  CHECK(work.states[1] == Approx(0.0f).margin(1e-3));

  // Pre: the residual stream is never normalised: (3,1) + (1,0) + (0,2) = (4,3).
  c.norm_placement = attn::NormPlacement::Pre;
  work.states = {3.0f, 1.0f};
  attn::encoder_block(w, c, layout, work, nullptr);
  CHECK(work.states[0] == Approx(4.0f).margin(1e-6));
  CHECK(work.states[1] == Approx(3.0f).margin(1e-6));
}

TEST_CASE("sinusoidal positions are interleaved sin/cos with the even-index exponent", "[layers]") {
  const auto p = attn::sinusoidal_positions(3, 4);  // [3, 4]
  CHECK(p[0] == 0.0f);                              // sin(0)
  CHECK(p[1] == 1.0f);                              // cos(0)
  CHECK(p[4 + 0] == Approx(std::sin(1.0)).margin(1e-7));
  CHECK(p[4 + 1] == Approx(std::cos(1.0)).margin(1e-7));
  CHECK(p[4 + 2] == Approx(std::sin(1.0 / 100.0)).margin(1e-7));  // 10000^(2/4) = 100
  CHECK(p[4 + 3] == Approx(std::cos(1.0 / 100.0)).margin(1e-7));
  CHECK(p[8 + 2] == Approx(std::sin(2.0 / 100.0)).margin(1e-7));
}
