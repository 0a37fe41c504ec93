// End-to-end goldens produced by PyTorch (tools/make_goldens.py): token ids, logits, probabilities and
// attention weights of the committed tiny model and of the bundled SST-2 model, within kGoldenTolerance.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "attn/model.h"

using nlohmann::json;

namespace {

// Absolute tolerance on logits, probabilities and attention weights against PyTorch float32.
constexpr float kGoldenTolerance = 1e-5f;

json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

// Checks every case of a golden file against the model, each input alone and all of them as one batch.
void check_golden(const attn::Model& model, const json& golden) {
  REQUIRE(model.labels() == golden["labels"].get<std::vector<std::string>>());
  const auto& cases = golden["cases"];
  std::vector<attn::Encoding> encodings;
  for (const auto& c : cases) {
    const std::string text = c["text"];
    INFO("text: " << text);
    attn::Encoding e = model.encode(text);
    CHECK(e.tokens == c["tokens"].get<std::vector<std::string>>());
    CHECK(e.ids == c["ids"].get<std::vector<int32_t>>());
    CHECK(e.truncated() == c["truncated"].get<bool>());
    CHECK(e.num_tokens_before_truncation == c["num_tokens_before_truncation"].get<size_t>());

    std::vector<attn::AttentionMaps> maps;
    const auto predictions = model.predict({&e}, &maps);
    const auto& p = predictions.at(0);
    const auto logits = c["logits"].get<std::vector<float>>();
    const auto probabilities = c["probabilities"].get<std::vector<float>>();
    REQUIRE(p.logits.size() == logits.size());
    for (size_t i = 0; i < logits.size(); ++i) {
      CHECK(p.logits[i] == Approx(logits[i]).margin(kGoldenTolerance));
      CHECK(p.probabilities[i] == Approx(probabilities[i]).margin(kGoldenTolerance));
    }
    const auto& attention = c["attention"];  // [layer][head][query][key]
    const auto& m = maps.at(0);
    REQUIRE(attention.size() == static_cast<size_t>(m.num_layers));
    REQUIRE(m.length == static_cast<int>(e.ids.size()));
    float worst = 0.0f;
    for (int l = 0; l < m.num_layers; ++l)
      for (int h = 0; h < m.num_heads; ++h)
        for (int q = 0; q < m.length; ++q)
          for (int k = 0; k < m.length; ++k)
            worst = std::max(worst, std::abs(m.at(l, h, q, k) - attention[l][h][q][k].get<float>()));
    CHECK(worst <= kGoldenTolerance);
    if (c.contains("pooling")) {
      const auto pooling = c["pooling"].get<std::vector<float>>();
      REQUIRE(m.pooling.size() == pooling.size());
      for (size_t i = 0; i < pooling.size(); ++i) CHECK(m.pooling[i] == Approx(pooling[i]).margin(kGoldenTolerance));
    } else {
      CHECK(m.pooling.empty());
    }
    encodings.push_back(std::move(e));
  }

  // The whole set as one batch gives the same logits as PyTorch's padded batch and as each input alone.
  std::vector<const attn::Encoding*> batch;
  for (const auto& e : encodings) batch.push_back(&e);
  const auto predictions = model.predict(batch);
  const auto& batch_logits = golden["batch"]["logits"];
  for (size_t b = 0; b < batch.size(); ++b) {
    for (size_t i = 0; i < predictions[b].logits.size(); ++i) {
      CHECK(predictions[b].logits[i] == Approx(batch_logits[b][i].get<float>()).margin(kGoldenTolerance));
      CHECK(predictions[b].logits[i] == Approx(cases[b]["logits"][i].get<float>()).margin(kGoldenTolerance));
    }
  }
}

// The loaded float data behind a format-v1 tensor name (Q/K/V live inside the stacked projection).
std::vector<float> loaded_tensor(const attn::Model& model, const std::string& name) {
  const auto& w = model.weights();
  const size_t d = static_cast<size_t>(model.config().d_model);
  if (name == "embedding.weight") return w.embedding.table;
  if (name == "classifier.weight") return w.classifier.weight;
  if (name == "classifier.bias") return w.classifier.bias;
  const size_t layer_end = name.find('.', 7);
  const auto& layer = w.layers.at(std::stoul(name.substr(7, layer_end - 7)));
  const std::string rest = name.substr(layer_end + 1);
  const char* parts[] = {"query", "key", "value"};
  for (size_t i = 0; i < 3; ++i) {
    const std::string part = std::string("attention.") + parts[i];
    if (rest == part + ".weight")
      return {layer.attention.qkv_weight.begin() + i * d * d, layer.attention.qkv_weight.begin() + (i + 1) * d * d};
    if (rest == part + ".bias")
      return {layer.attention.qkv_bias.begin() + i * d, layer.attention.qkv_bias.begin() + (i + 1) * d};
  }
  if (rest == "attention.output.weight") return layer.attention.output_weight;
  if (rest == "attention.output.bias") return layer.attention.output_bias;
  if (rest == "attention_norm.weight") return layer.attention_norm.gamma;
  if (rest == "attention_norm.bias") return layer.attention_norm.beta;
  if (rest == "ffn.linear1.weight") return layer.ffn.linear1_weight;
  if (rest == "ffn.linear1.bias") return layer.ffn.linear1_bias;
  if (rest == "ffn.linear2.weight") return layer.ffn.linear2_weight;
  if (rest == "ffn.linear2.bias") return layer.ffn.linear2_bias;
  if (rest == "ffn_norm.weight") return layer.ffn_norm.gamma;
  if (rest == "ffn_norm.bias") return layer.ffn_norm.beta;
  FAIL("unexpected tensor name " << name);
  return {};
}

}  // namespace

TEST_CASE("tiny model: every weight reads back bit for bit", "[golden]") {
  const attn::Model model = attn::Model::load(ATTN_FIXTURES_DIR "/tiny-model.json");
  const json golden = read_json(ATTN_FIXTURES_DIR "/tiny-golden.json");
  size_t tensors = 0;
  for (const auto& [name, bits] : golden["weight_bits"].items()) {
    const std::vector<float> values = loaded_tensor(model, name);
    REQUIRE(values.size() == bits.size());
    for (size_t i = 0; i < values.size(); ++i) {
      uint32_t got;
      std::memcpy(&got, &values[i], sizeof got);
      INFO(name << "[" << i << "]");
      REQUIRE(got == bits[i].get<uint32_t>());
    }
    ++tensors;
  }
  CHECK(tensors == 3 + 2 * 16);
}

TEST_CASE("tiny model matches PyTorch: tokens, logits, attention, batch", "[golden]") {
  const attn::Model model = attn::Model::load(ATTN_FIXTURES_DIR "/tiny-model.json");
  check_golden(model, read_json(ATTN_FIXTURES_DIR "/tiny-golden.json"));
}

TEST_CASE("bundled SST-2 model matches PyTorch: tokens, logits, attention, batch", "[golden]") {
  const attn::Model model = attn::Model::load(ATTN_MODELS_DIR "/sst2-sentiment.json");
  check_golden(model, read_json(ATTN_FIXTURES_DIR "/sst2-golden.json"));
}

TEST_CASE("every architecture variant matches PyTorch: logits, attention, pooling weights, batch", "[golden]") {
  // tools/make_variant_goldens.py: scores, masks, norm placement, activation, positions, pooling, heads 1 to 8.
  const char* variants[] = {"dot-1head",
                            "additive-4heads",
                            "causal-last",
                            "prenorm-8heads",
                            "gelu",
                            "learned-positions",
                            "pool-max",
                            "pool-first",
                            "pool-attention-3heads",
                            "combo-pre-gelu-learned-additive-causal-attention",
                            "combo-pre-dot-causal-max",
                            "combo-post-gelu-learned-first"};
  for (const char* name : variants) {
    SECTION(name) {
      const std::string base = std::string(ATTN_FIXTURES_DIR "/variants/") + name;
      const attn::Model model = attn::Model::load(base + "-model.json");
      const json golden = read_json(base + "-golden.json");
      const auto& config = golden["config"];
      CHECK(to_string(model.config().attention_score) == config["attention_score"].get<std::string>());
      CHECK(to_string(model.config().pooling) == config["pooling"].get<std::string>());
      CHECK(to_string(model.config().norm_placement) == config["norm_placement"].get<std::string>());
      CHECK(to_string(model.config().activation) == config["activation"].get<std::string>());
      CHECK(to_string(model.config().positional_encoding) == config["positional_encoding"].get<std::string>());
      CHECK(model.config().causal == config["causal"].get<bool>());
      check_golden(model, golden);
    }
  }
}

TEST_CASE("a batch of several cache groups gives every input exactly its result alone", "[golden]") {
  // 4 x 31 sentences of the bundled model's golden set: about 1,300 tokens, so Model::predict runs them as three
  // groups of at most 512 tokens (d_model 64). Every row of every product is computed the same way wherever it
  // sits in a group, so the results must be bit-identical to running each input alone.
  const attn::Model model = attn::Model::load(ATTN_MODELS_DIR "/sst2-sentiment.json");
  const json golden = read_json(ATTN_FIXTURES_DIR "/sst2-golden.json");
  std::vector<attn::Encoding> encodings;
  for (int copy = 0; copy < 4; ++copy)
    for (const auto& c : golden["cases"]) encodings.push_back(model.encode(c["text"].get<std::string>()));
  std::vector<const attn::Encoding*> batch;
  size_t tokens = 0;
  for (const auto& e : encodings) {
    batch.push_back(&e);
    tokens += e.ids.size();
  }
  REQUIRE(tokens > 2 * 512);
  std::vector<attn::AttentionMaps> maps;
  const auto predictions = model.predict(batch, &maps);
  REQUIRE(predictions.size() == batch.size());
  REQUIRE(maps.size() == batch.size());
  for (size_t b = 0; b < batch.size(); ++b) {
    std::vector<attn::AttentionMaps> alone_maps;
    const auto alone = model.predict({batch[b]}, &alone_maps);
    INFO("input " << b);
    REQUIRE(predictions[b].logits == alone[0].logits);
    REQUIRE(maps[b].length == alone_maps[0].length);
    REQUIRE(maps[b].data == alone_maps[0].data);
  }
}
