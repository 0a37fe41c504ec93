// Multi-head attention: a hand-computed case, and the packed engine against a naive padded reference that
// follows the textbook recipe step by step (project, split heads, masked scaled scores, softmax, concat, project).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "attn/layers.h"
#include "isa_paths.h"

namespace {

constexpr float kAttentionTolerance = 1e-5f;

attn::ModelConfig make_config(int d_model, int num_heads) {
  attn::ModelConfig c;
  c.vocab_size = 10;
  c.max_length = 64;
  c.d_model = d_model;
  c.num_heads = num_heads;
  c.num_layers = 1;
  c.ffn_dim = 8;
  c.num_labels = 2;
  return c;
}

std::vector<float> random_vector(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Packed for `isa`: its projection kernel, and its head kernel where the head width allows (Portable: OpenBLAS).
attn::AttentionWeights random_weights(int d, std::mt19937& rng, attn::ops::Isa isa = attn::ops::kernel_isa()) {
  attn::AttentionWeights w;
  w.qkv_weight = random_vector(static_cast<size_t>(3 * d) * d, rng, 0.5f);
  w.qkv_bias = random_vector(3 * d, rng, 0.5f);
  w.output_weight = random_vector(static_cast<size_t>(d) * d, rng, 0.5f);
  w.output_bias = random_vector(d, rng, 0.5f);
  w.qkv_packed = attn::ops::pack_matrix(w.qkv_weight.data(), 3 * d, d, isa);
  w.output_packed = attn::ops::pack_matrix(w.output_weight.data(), d, d, isa);
  return w;
}

// Naive reference on a padded batch [batch, max_len, d]: the padding mask adds -1e9 to the scores of padded
// keys, as the seed's Keras code does. Returns outputs [batch, max_len, d] and weights [batch, heads, max_len, max_len].
struct PaddedResult {
  std::vector<double> output;
  std::vector<double> weights;
};

PaddedResult padded_reference(const attn::AttentionWeights& w, int d, int heads, const std::vector<std::vector<float>>& inputs,
                              const std::vector<int>& lengths,
                              attn::AttentionScore score = attn::AttentionScore::ScaledDot, bool causal = false) {
  const int batch = static_cast<int>(inputs.size());
  int max_len = 0;
  for (int n : lengths) max_len = std::max(max_len, n);
  const int depth = d / heads;
  PaddedResult r;
  r.output.assign(static_cast<size_t>(batch) * max_len * d, 0.0);
  r.weights.assign(static_cast<size_t>(batch) * heads * max_len * max_len, 0.0);
  for (int b = 0; b < batch; ++b) {
    // x padded with zeros to max_len.
    std::vector<double> x(static_cast<size_t>(max_len) * d, 0.0);
    for (int i = 0; i < lengths[b]; ++i)
      for (int j = 0; j < d; ++j) x[i * d + j] = inputs[b][i * d + j];
    // q, k, v = x W^T + b, each [max_len, d]; projection p uses rows p*d .. (p+1)*d of qkv_weight.
    std::vector<double> proj[3];
    for (int p = 0; p < 3; ++p) {
      proj[p].assign(static_cast<size_t>(max_len) * d, 0.0);
      for (int i = 0; i < max_len; ++i)
        for (int o = 0; o < d; ++o) {
          double s = w.qkv_bias[p * d + o];
          for (int in = 0; in < d; ++in) s += x[i * d + in] * w.qkv_weight[(p * d + o) * d + in];
          proj[p][i * d + o] = s;
        }
    }
    std::vector<double> concat(static_cast<size_t>(max_len) * d, 0.0);
    for (int h = 0; h < heads; ++h) {
      for (int i = 0; i < max_len; ++i) {
        std::vector<double> scores(max_len);
        for (int j = 0; j < max_len; ++j) {
          double s = 0.0;
          if (score == attn::AttentionScore::Additive) {
            for (int t = 0; t < depth; ++t)
              s += w.additive_v[h * depth + t] * std::tanh(proj[0][i * d + h * depth + t] + proj[1][j * d + h * depth + t]);
          } else {
            for (int t = 0; t < depth; ++t) s += proj[0][i * d + h * depth + t] * proj[1][j * d + h * depth + t];
            if (score == attn::AttentionScore::ScaledDot) s /= std::sqrt(static_cast<double>(depth));
          }
          if (j >= lengths[b]) s += -1e9;  // padding mask
          if (causal && j > i) s += -1e9;  // look-ahead mask
          scores[j] = s;
        }
        double mx = scores[0];
        for (double s : scores) mx = std::max(mx, s);
        double z = 0.0;
        for (double& s : scores) z += (s = std::exp(s - mx));
        for (int j = 0; j < max_len; ++j) {
          const double a = scores[j] / z;
          r.weights[((static_cast<size_t>(b) * heads + h) * max_len + i) * max_len + j] = a;
          for (int t = 0; t < depth; ++t) concat[i * d + h * depth + t] += a * proj[2][j * d + h * depth + t];
        }
      }
    }
    for (int i = 0; i < max_len; ++i)
      for (int o = 0; o < d; ++o) {
        double s = w.output_bias[o];
        for (int in = 0; in < d; ++in) s += concat[i * d + in] * w.output_weight[o * d + in];
        r.output[(static_cast<size_t>(b) * max_len + i) * d + o] = s;
      }
  }
  return r;
}

}  // namespace

TEST_CASE("attention on identity projections matches a hand computation", "[attention]") {
  // d_model 2, one head, all projections the identity and no bias: q = k = v = x.
  const int d = 2;
  attn::ModelConfig config = make_config(d, 1);
  attn::AttentionWeights w;
  w.qkv_weight = {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1};
  w.qkv_bias.assign(6, 0.0f);
  w.output_weight = {1, 0, 0, 1};
  w.output_bias = {0, 0};
  attn::pack_weights(w, d);
  const std::vector<float> x = {1, 0, 0, 2};  // tokens (1,0) and (0,2)
  attn::BatchLayout layout;
  layout.add(2);
  attn::Workspace work;
  std::vector<float> out(4);
  std::vector<float> weights(4);
  float* weights_out[] = {weights.data()};
  attn::self_attention(w, config, x.data(), layout, work, out.data(), weights_out);

  // scores = x x^T / sqrt(2) = [[1, 0], [0, 4]] / sqrt(2)
  const double s = 1.0 / std::sqrt(2.0);
  const double a00 = std::exp(s) / (std::exp(s) + 1.0);
  const double a11 = std::exp(4 * s) / (std::exp(4 * s) + 1.0);
  CHECK(weights[0] == Approx(a00).margin(1e-6));
  CHECK(weights[1] == Approx(1 - a00).margin(1e-6));
  CHECK(weights[2] == Approx(1 - a11).margin(1e-6));
  CHECK(weights[3] == Approx(a11).margin(1e-6));
  // out = A v: row 0 = a00*(1,0) + (1-a00)*(0,2)
  CHECK(out[0] == Approx(a00).margin(1e-6));
  CHECK(out[1] == Approx(2 * (1 - a00)).margin(1e-6));
  CHECK(out[2] == Approx(1 - a11).margin(1e-6));
  CHECK(out[3] == Approx(2 * a11).margin(1e-6));
}

TEST_CASE("packed multi-head attention equals the padded, masked reference", "[attention]") {
  std::mt19937 rng(7);
  // Head widths 8, 16 and 24 take the AVX2 head kernel (whole and half 16-wide tiles), 16 and 32 the AVX-512 one
  // (8 and 24 stay on AVX2 there); 4 and 2 take OpenBLAS.
  const int configs[][2] = {{8, 1}, {8, 2}, {12, 3}, {16, 4}, {16, 8}, {32, 2}, {48, 2}, {64, 4}};
  const attn::AttentionScore scores[] = {attn::AttentionScore::ScaledDot, attn::AttentionScore::Dot,
                                         attn::AttentionScore::Additive};
  const attn::ops::Isa isa = GENERATE(from_range(isa_paths()));
  for (const attn::AttentionScore score : scores) {
    for (const bool causal : {false, true}) {
      for (const auto& dc : configs) {
        const int d = dc[0], heads = dc[1];
        attn::ModelConfig config = make_config(d, heads);
        config.attention_score = score;
        config.causal = causal;
        attn::AttentionWeights w = random_weights(d, rng, isa);
        if (score == attn::AttentionScore::Additive) w.additive_v = random_vector(d, rng);  // [heads, d_head]
        // Odd lengths, one of a single token, and one past two 8-key vectors and two 6-row tiles.
        const std::vector<int> lengths = {5, 1, 9, 3, 17};
        std::vector<std::vector<float>> inputs;
        attn::BatchLayout layout;
        std::vector<float> packed;
        for (int n : lengths) {
          inputs.push_back(random_vector(static_cast<size_t>(n) * d, rng));
          packed.insert(packed.end(), inputs.back().begin(), inputs.back().end());
          layout.add(n);
        }
        std::vector<std::vector<float>> maps(lengths.size());
        std::vector<float*> weights_out;
        for (size_t b = 0; b < lengths.size(); ++b) {
          maps[b].resize(static_cast<size_t>(heads) * lengths[b] * lengths[b]);
          weights_out.push_back(maps[b].data());
        }
        attn::Workspace work;
        std::vector<float> out(packed.size());
        attn::self_attention(w, config, packed.data(), layout, work, out.data(), weights_out.data());

        const PaddedResult ref = padded_reference(w, d, heads, inputs, lengths, score, causal);
        const int max_len = 17;
        for (size_t b = 0; b < lengths.size(); ++b) {
          const int n = lengths[b];
          INFO("isa=" << attn::ops::isa_name(isa) << " score=" << static_cast<int>(score) << " causal=" << causal << " d_model=" << d << " heads=" << heads
                        << " input=" << b);
          for (int i = 0; i < n; ++i)
            for (int o = 0; o < d; ++o)
              REQUIRE(out[(layout.offsets[b] + i) * d + o] ==
                      Approx(ref.output[(b * max_len + i) * d + o]).margin(kAttentionTolerance));
          for (int h = 0; h < heads; ++h)
            for (int i = 0; i < n; ++i) {
              double row_sum = 0.0;
              for (int j = 0; j < max_len; ++j) {
                const double expected = ref.weights[((b * heads + h) * max_len + i) * max_len + j];
                if (j >= n) {
                  // The masked reference gives padded keys exactly zero weight; the packed engine has no such keys.
                  REQUIRE(expected == 0.0);
                  continue;
                }
                const float got = maps[b][(static_cast<size_t>(h) * n + i) * n + j];
                if (causal && j > i) REQUIRE(got == 0.0f);  // masked future keys: exactly zero
                REQUIRE(got == Approx(expected).margin(kAttentionTolerance));
                row_sum += got;
              }
              REQUIRE(row_sum == Approx(1.0).margin(kAttentionTolerance));
            }
        }
      }
    }
  }
}

TEST_CASE("NaN scores give NaN attention on both paths, not weights", "[attention]") {
  // As PyTorch does. The NaN is put in the queries only (the query bias of head 0), so it reaches the outputs
  // only through the scores: the kernel's exp clamp once turned a NaN score into exp(-87) and a finite result.
  std::mt19937 rng(13);
  const attn::ops::Isa isa = GENERATE(from_range(isa_paths()));
  const int d = 32, heads = 2;  // d_head 16: the head kernel of every ISA
  attn::ModelConfig config = make_config(d, heads);
  attn::AttentionWeights w = random_weights(d, rng, isa);
  w.qkv_bias[0] = std::nanf("");
  attn::BatchLayout layout;
  layout.add(10);
  layout.add(4);
  layout.add(150);  // past one key block: the streaming path
  const std::vector<float> x = random_vector(static_cast<size_t>(164) * d, rng);
  attn::Workspace work;
  std::vector<float> out(x.size());
  attn::self_attention(w, config, x.data(), layout, work, out.data(), nullptr);
  INFO("isa=" << attn::ops::isa_name(isa));
  for (const float value : out) REQUIRE(std::isnan(value));  // head 0 is NaN, and the output projection mixes it in
}

TEST_CASE("attention of one input does not depend on the rest of the batch", "[attention]") {
  std::mt19937 rng(11);
  const int d = 16, heads = 4;
  const attn::ModelConfig config = make_config(d, heads);
  const attn::AttentionWeights w = random_weights(d, rng);
  const auto alone_input = random_vector(6 * d, rng);
  const auto other = random_vector(11 * d, rng);

  attn::Workspace work;
  attn::BatchLayout alone;
  alone.add(6);
  std::vector<float> alone_out(6 * d);
  attn::self_attention(w, config, alone_input.data(), alone, work, alone_out.data(), nullptr);

  attn::BatchLayout both;
  both.add(11);
  both.add(6);
  std::vector<float> packed(other);
  packed.insert(packed.end(), alone_input.begin(), alone_input.end());
  std::vector<float> both_out(17 * d);
  attn::self_attention(w, config, packed.data(), both, work, both_out.data(), nullptr);
  for (int i = 0; i < 6 * d; ++i) REQUIRE(both_out[11 * d + i] == Approx(alone_out[i]).margin(kAttentionTolerance));
}

namespace {

// Context of every head straight from qkv [n, 3 d] in double precision, the textbook way with the whole n x n
// matrix: scores, causal mask, softmax, A v. [n, d].
std::vector<double> heads_reference(const std::vector<float>& qkv, int n, int d, int heads, double scale,
                                    bool causal) {
  const int depth = d / heads;
  const size_t ld = 3 * static_cast<size_t>(d);
  std::vector<double> context(static_cast<size_t>(n) * d, 0.0), scores(static_cast<size_t>(n));
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < n; ++i) {
      const int visible = causal ? i + 1 : n;
      double top = -1e300, z = 0.0;
      for (int j = 0; j < visible; ++j) {
        double s = 0.0;
        for (int t = 0; t < depth; ++t) s += static_cast<double>(qkv[i * ld + h * depth + t]) * qkv[j * ld + d + h * depth + t];
        scores[j] = s * scale;
        top = std::max(top, scores[j]);
      }
      for (int j = 0; j < visible; ++j) z += (scores[j] = std::exp(scores[j] - top));
      for (int j = 0; j < visible; ++j)
        for (int t = 0; t < depth; ++t) context[i * d + h * depth + t] += scores[j] / z * qkv[j * ld + 2 * d + h * depth + t];
    }
  }
  return context;
}

}  // namespace

TEST_CASE("streaming attention equals the full-matrix reference at every length to 512", "[attention]") {
  // Max abs difference of a context value (inputs in [-1, 1], so contexts too) from the double reference; the
  // scores reach about +-8 at d_head 16 and scale 1, where float exp and the rescaling stay well inside it.
  constexpr double kStreamingTolerance = 2e-5;
  std::mt19937 rng(17);
  std::vector<int> lengths;
  for (int n = 1; n <= 80; ++n) lengths.push_back(n);  // 1 to past the first 64-key block, every tail
  for (int n : {95, 127, 128, 129, 191, 192, 193, 255, 256, 257, 300, 383, 447, 448, 449, 511, 512}) lengths.push_back(n);
  // {d_model, heads}: d_head 16 (every ISA's kernel) and 8 (AVX2's, also under AVX-512).
  const int shapes[][2] = {{32, 2}, {24, 3}};
  for (const attn::ops::Isa packed : isa_paths()) {
    for (const auto& shape : shapes) {
      const int d = shape[0], heads = shape[1];
      const attn::ops::Isa isa = attn::ops::attention_isa(d / heads, packed);
      if (isa == attn::ops::Isa::Portable) continue;
      for (const bool causal : {false, true}) {
        for (const float scale : {0.25f, 1.0f}) {  // 1/sqrt(16), and the unscaled dot score
          attn::ops::AttentionScratch scratch;
          for (const int n : lengths) {
            const std::vector<float> qkv = random_vector(static_cast<size_t>(n) * 3 * d, rng);
            const std::vector<double> want = heads_reference(qkv, n, d, heads, scale, causal);
            std::vector<float> streamed(static_cast<size_t>(n) * d), full(streamed.size()),
                weights(static_cast<size_t>(heads) * n * n);
            attn::ops::attention_heads_streaming(qkv.data(), n, d, heads, scale, causal, isa, scratch, streamed.data());
            attn::ops::attention_heads(qkv.data(), n, d, heads, scale, causal, isa, scratch, full.data(), weights.data());
            double worst_streamed = 0.0, worst_full = 0.0;
            for (size_t i = 0; i < want.size(); ++i) {
              worst_streamed = std::max(worst_streamed, std::abs(streamed[i] - want[i]));
              worst_full = std::max(worst_full, std::abs(full[i] - want[i]));
            }
            INFO("isa=" << attn::ops::isa_name(isa) << " d_model=" << d << " heads=" << heads << " causal=" << causal
                        << " scale=" << scale << " n=" << n);
            REQUIRE(worst_streamed < kStreamingTolerance);
            REQUIRE(worst_full < kStreamingTolerance);
          }
        }
      }
    }
  }
}

TEST_CASE("a long input's attention is the same with and without an attention dump", "[attention]") {
  // Without a dump, 300 tokens go through the streaming path; with one, through the full matrix.
  std::mt19937 rng(23);
  const int d = 32, heads = 2, n = 300;
  attn::ModelConfig config = make_config(d, heads);
  config.max_length = n;
  const attn::ops::Isa isa = GENERATE(from_range(isa_paths()));
  const bool causal = GENERATE(false, true);
  config.causal = causal;
  const attn::AttentionWeights w = random_weights(d, rng, isa);
  const auto x = random_vector(static_cast<size_t>(n) * d, rng);
  attn::BatchLayout layout;
  layout.add(n);
  attn::Workspace work;
  std::vector<float> plain(x.size()), dumped(x.size()), map(static_cast<size_t>(heads) * n * n);
  float* maps[] = {map.data()};
  attn::self_attention(w, config, x.data(), layout, work, plain.data(), nullptr);
  attn::self_attention(w, config, x.data(), layout, work, dumped.data(), maps);
  INFO("isa=" << attn::ops::isa_name(isa) << " causal=" << causal);
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(plain[i] == Approx(dumped[i]).margin(kAttentionTolerance));
}
