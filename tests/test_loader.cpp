// Loading: a valid model built in the test loads; every kind of malformed file is refused with a message
// that names the key, and the expected against the actual value.
#include <catch2/catch.hpp>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "attn/errors.h"
#include "attn/model.h"
#include "model_fixture.h"

using nlohmann::json;
using attn_test::load_error;
using attn_test::weight_named;

namespace {

json tensor(const std::string& name, std::vector<int64_t> shape, float value = 0.01f) {
  size_t n = 1;
  for (auto s : shape) n *= static_cast<size_t>(s);
  std::vector<float> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = value * static_cast<float>(i % 7 + 1);
  return {{"name", name}, {"shape", shape}, {"data", data}};
}

// A complete valid model: vocab 6, d_model 4, 2 heads, 1 layer, ffn 6, 2 labels; layer norm gains 1.
json valid_model() {
  return attn_test::small_model([](const std::string& name, const std::vector<int64_t>& shape) {
    const bool norm_gain = name.size() > 11 && name.compare(name.size() - 11, 11, "norm.weight") == 0;
    return tensor(name, shape, norm_gain ? 1.0f : 0.01f);
  });
}

struct BadModelCase {
  const char* description;
  std::function<void(json&)> mutate;
  const char* expected_message;
};

}  // namespace

TEST_CASE("a valid model loads, fuses Q/K/V and classifies", "[loader]") {
  const attn::Model model = attn::Model::parse(valid_model().dump(), "m.json");
  CHECK(model.config().d_model == 4);
  CHECK(model.labels() == std::vector<std::string>{"negative", "positive"});
  CHECK(model.weights().layers.size() == 1);
  CHECK(model.weights().layers[0].attention.qkv_weight.size() == 48);
  // 6*4 + 4*(16+4) + 2*(4+4) + (24+6) + (24+4) + (8+2)
  CHECK(model.parameter_count() == 24 + 80 + 16 + 30 + 28 + 10);
  const attn::Encoding e = model.encode("Good films");
  CHECK(e.tokens == std::vector<std::string>{"good", "film", "##s"});
  const auto predictions = model.predict({&e});
  REQUIRE(predictions.size() == 1);
  CHECK(predictions[0].probabilities[0] + predictions[0].probabilities[1] == Approx(1.0f));
}

TEST_CASE("malformed models are refused with a message naming where and what", "[loader]") {
  const std::vector<BadModelCase> cases = {
      {"newer format", [](json& m) { m["format_version"] = 3; },
       "m.json: format_version: 3 is newer than this attn supports (up to 2); a newer attn is needed"},
      {"format version not a number", [](json& m) { m["format_version"] = "1"; },
       "format_version: expected a positive integer, got \"1\""},
      {"no format version", [](json& m) { m.erase("format_version"); }, "format_version: missing"},
      {"unknown top-level key", [](json& m) { m["weigths"] = json::array(); }, "weigths: unknown key"},
      {"string where a number belongs", [](json& m) { m["config"]["d_model"] = "4"; },
       "m.json: config.d_model: expected an integer, got string"},
      {"zero dimension", [](json& m) { m["config"]["d_model"] = 0; }, "config.d_model: 0 is out of range"},
      {"negative dimension", [](json& m) { m["config"]["ffn_dim"] = -6; }, "config.ffn_dim: -6 is out of range"},
      {"absurd dimension", [](json& m) { m["config"]["vocab_size"] = 1000000000000LL; },
       "config.vocab_size: 1000000000000 is out of range"},
      {"heads not dividing d_model", [](json& m) { m["config"]["num_heads"] = 3; },
       "config.num_heads: 3 does not divide d_model=4"},
      {"unsupported pooling", [](json& m) { m["config"]["pooling"] = "median"; },
       "m.json: config.pooling: \"median\" is not supported (supported: mean, max, first, last, attention)"},
      {"causal not a boolean", [](json& m) { m["config"]["causal"] = "yes"; },
       "m.json: config.causal: expected true or false, got string"},
      {"variant without its tensors", [](json& m) {
         m["config"]["pooling"] = "attention";
         m["config"]["norm_placement"] = "pre";
       },
       "m.json: weights: 3 missing tensors: final_norm.weight, final_norm.bias, pooling.query"},
      {"tensor the config does not call for", [](json& m) { m["weights"].push_back(tensor("pooling.query", {4})); },
       "m.json: weights[19].name: unknown tensor \"pooling.query\" for this config (1 layers)"},
      {"missing config key", [](json& m) { m["config"].erase("activation"); }, "config.activation: missing"},
      {"unknown config key", [](json& m) { m["config"]["dropout"] = 0.1; }, "config.dropout: unknown key"},
      {"vocab size not matching", [](json& m) { m["tokenizer"]["vocab"].push_back("extra"); },
       "tokenizer.vocab: has 7 entries, expected config.vocab_size=6"},
      {"labels not matching", [](json& m) { m["labels"].push_back("neutral"); },
       "labels: has 3 labels, expected config.num_labels=2"},
      {"duplicate vocabulary entry", [](json& m) { m["tokenizer"]["vocab"][4] = "good"; },
       "m.json: tokenizer.vocab[4]: duplicate entry \"good\" (first at 2)"},
      {"missing special token", [](json& m) { m["tokenizer"]["special_tokens"]["unk"] = "<unk>"; },
       "m.json: tokenizer.special_tokens.unk: \"<unk>\" is not in tokenizer.vocab"},
      {"empty vocabulary entry", [](json& m) { m["tokenizer"]["vocab"][3] = ""; }, "m.json: tokenizer.vocab[3]: empty entry"},
      {"duplicate label", [](json& m) { m["labels"][1] = "negative"; }, "labels[1]: duplicate label \"negative\""},
      {"missing tensors listed together",
       [](json& m) {
         auto& w = m["weights"];
         w.erase(w.begin() + 1);  // layers.0.attention.query.weight
         w.erase(w.begin() + 1);  // layers.0.attention.query.bias
       },
       "weights: 2 missing tensors: layers.0.attention.query.weight, layers.0.attention.query.bias"},
      {"unknown tensor", [](json& m) { m["weights"].push_back(tensor("layers.1.attention.query.weight", {4, 4})); },
       "unknown tensor \"layers.1.attention.query.weight\" for this config (1 layers)"},
      {"duplicate tensor", [](json& m) { m["weights"].push_back(tensor("classifier.bias", {2})); },
       "duplicate tensor \"classifier.bias\" (first at weights[18])"},
      {"wrong shape", [](json& m) { weight_named(m, "layers.0.ffn.linear1.weight")["shape"] = {4, 6}; },
       "\"layers.0.ffn.linear1.weight\" has shape [4,6], expected [6,4]"},
      {"data length not matching shape", [](json& m) { weight_named(m, "classifier.bias")["data"].push_back(0.5); },
       "m.json: weights[18].data: has 3 values, expected 2 for shape [2]"},
      {"string in data", [](json& m) { weight_named(m, "classifier.bias")["data"][1] = "0.5"; },
       "data[1]: expected a number, got string"},
      {"overflowing float", [](json& m) { weight_named(m, "classifier.bias")["data"][0] = 1e39; },
       "data[0]: value 1e+39 is not a finite float32"},
  };
  for (const auto& c : cases) {
    json model = valid_model();
    c.mutate(model);
    const std::string message = load_error(model.dump());
    INFO(c.description << ": " << message);
    CHECK(message.find(c.expected_message) != std::string::npos);
  }
}

TEST_CASE("text that is not a model is refused", "[loader]") {
  CHECK(load_error("{\"format_version\": 1,").find("m.json: not valid JSON (at byte") == 0);
  CHECK(load_error("[1, 2]").find("expected a JSON object at the top level, got array") != std::string::npos);
  CHECK(load_error("").find("not valid JSON") != std::string::npos);
  // JSON has no NaN or Infinity literal; a file that writes one is not JSON, and is refused as such.
  for (const char* literal : {"NaN", "Infinity"}) {
    std::string text = valid_model().dump();
    const std::string eps = "\"layer_norm_eps\":1e-06";
    const auto at = text.find(eps);
    REQUIRE(at != std::string::npos);
    text.replace(at, eps.size(), std::string("\"layer_norm_eps\":") + literal);
    CHECK(load_error(text).find("m.json: not valid JSON") == 0);
  }
}

TEST_CASE("a missing or unreadable model file is reported with its path", "[loader]") {
  try {
    attn::Model::load("/nonexistent/model.json");
    FAIL("loaded");
  } catch (const attn::ModelError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/model.json: cannot open model file (No such file or directory)");
  }
  CHECK_THROWS_WITH(attn::Model::load("/tmp"), "/tmp: is a directory, expected a model file");
}
