// How much of a forward pass the attention heads take, per input length, on one thread.
// For each length n: the whole model on inputs of n ids (Model::predict, no attention dump), then the heads alone
// (ops::attention_heads on a random qkv [n, 3 d_model], once per layer) both streaming over key blocks and holding
// the n x n matrix (the path an attention dump takes). Prints one JSON object per length:
//   {"length", "model_ms", "heads_ms", "heads_full_ms", "share", "isa"}
// where model_ms is one input's forward pass and heads_ms the num_layers head calls it makes; share = heads/model;
// products_ms: the four products of every layer (ops::linear on the model's own packed weights), products_share
// their part of model_ms (what an int8 product could speed up at most).
// Usage: bench_attention_share MODEL.json [lengths, default 64,128,256,512 up to max_length] [min seconds, 1]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "attn/model.h"
#include "attn/ops.h"

namespace {

using Clock = std::chrono::steady_clock;

// Best of 3 timings of fn, each repeated until min_seconds have passed -> seconds per call.
template <typename Fn>
double seconds_per_call(Fn&& fn, double min_seconds) {
  double best = 1e30;
  for (int round = 0; round < 3; ++round) {
    long calls = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    do {
      fn();
      ++calls;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < min_seconds / 3);
    best = std::min(best, elapsed / static_cast<double>(calls));
  }
  return best;
}

std::vector<int> parse_lengths(const std::string& text) {
  std::vector<int> lengths;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) lengths.push_back(std::stoi(item));
  return lengths;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.json [lengths] [min seconds]\n", argv[0]);
    return 2;
  }
  try {
    const attn::Model model = attn::Model::load(argv[1]);
    const attn::ModelConfig& config = model.config();
    std::vector<int> lengths = parse_lengths(argc > 2 ? argv[2] : "64,128,256,512");
    const double min_seconds = argc > 3 ? std::atof(argv[3]) : 1.0;
    attn::ops::set_blas_threads(1);

    const int d = config.d_model;
    const int d_head = d / config.num_heads;
    const attn::ops::Isa isa = attn::ops::attention_isa(d_head, attn::ops::kernel_isa());
    const float scale = 1.0f / std::sqrt(static_cast<float>(d_head));
    std::mt19937 random(1);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    // Ids past the special tokens at the start of the vocabulary: the pass costs the same for any id.
    std::uniform_int_distribution<int32_t> any_id(0, config.vocab_size - 1);

    for (int n : lengths) {
      if (n < 1 || n > config.max_length) continue;
      attn::Encoding input;
      for (int i = 0; i < n; ++i) input.ids.push_back(any_id(random));
      attn::Workspace work;
      const std::vector<const attn::Encoding*> batch = {&input};
      const double model_s = seconds_per_call([&] { model.predict(batch, work); }, min_seconds);

      std::vector<float> qkv(static_cast<size_t>(n) * 3 * d), context(static_cast<size_t>(n) * d);
      std::vector<float> weights(static_cast<size_t>(config.num_heads) * n * n);
      for (float& v : qkv) v = uniform(random);
      attn::ops::AttentionScratch scratch;
      double heads_s = 0, full_s = 0;
      if (isa != attn::ops::Isa::Portable) {
        heads_s =
            config.num_layers * seconds_per_call(
                                    [&] {
                                      attn::ops::attention_heads(qkv.data(), n, d, config.num_heads, scale,
                                                                 config.causal, isa, scratch, context.data(), nullptr);
                                    },
                                    min_seconds);
        full_s = config.num_layers * seconds_per_call(
                                         [&] {
                                           attn::ops::attention_heads(qkv.data(), n, d, config.num_heads, scale,
                                                                      config.causal, isa, scratch, context.data(),
                                                                      weights.data());
                                         },
                                         min_seconds);
      }
      // x [n, d] -> qkv [n, 3d], context -> [n, d], [n, d] -> hidden [n, ffn], hidden -> [n, d], per layer.
      std::vector<float> hidden(static_cast<size_t>(n) * config.ffn_dim), out(static_cast<size_t>(n) * d);
      const double products_s = seconds_per_call(
          [&] {
            for (const attn::EncoderBlockWeights& layer : model.weights().layers) {
              attn::ops::linear(context.data(), n, layer.attention.qkv_packed, nullptr, qkv.data());
              attn::ops::linear(context.data(), n, layer.attention.output_packed, nullptr, out.data());
              attn::ops::linear(out.data(), n, layer.ffn.linear1_packed, nullptr, hidden.data());
              attn::ops::linear(hidden.data(), n, layer.ffn.linear2_packed, nullptr, out.data());
            }
          },
          min_seconds);
      std::printf(
          "{\"length\": %d, \"model_ms\": %.4f, \"heads_ms\": %.4f, \"heads_full_ms\": %.4f, \"share\": %.4f, "
          "\"products_ms\": %.4f, \"products_share\": %.4f, \"isa\": \"%s\", \"linear_isa\": \"%s\"}\n",
          n, model_s * 1e3, heads_s * 1e3, full_s * 1e3, heads_s / model_s, products_s * 1e3, products_s / model_s,
          attn::ops::isa_name(isa), attn::ops::isa_name(attn::ops::kernel_isa()));
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_attention_share: %s\n", e.what());
    return 1;
  }
  return 0;
}
