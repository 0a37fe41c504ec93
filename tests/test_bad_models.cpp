// Malformed model files, each with the exact message it must give: the whole string is compared, so a message
// that loses its file name, its key or its expected-against-actual part fails here. test_loader.cpp checks
// the same kinds of problem by substring; this table pins the complete wording and covers the rest.
#include <catch2/catch.hpp>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "allocation_tracker.h"
#include "attn/errors.h"
#include "attn/model.h"
#include "model_fixture.h"

using nlohmann::json;
using attn_test::load_error;
using attn_test::weight_named;

namespace {

json tensor(const std::string& name, std::vector<int64_t> shape) {
  size_t n = 1;
  for (auto s : shape) n *= static_cast<size_t>(s);
  std::vector<double> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = 0.125 * static_cast<double>(i % 5) - 0.25;  // exact in float and text
  return {{"name", name}, {"shape", shape}, {"data", data}};
}

// A complete valid model: vocab 6, d_model 4, 2 heads, 1 layer, ffn 6, 2 labels; 19 tensors, classifier.bias
// last (weights[18]).
json valid_model() { return attn_test::small_model(tensor); }

// The valid model's text with the first occurrence of `from` replaced by `to` (for what json cannot hold:
// NaN and infinity literals, out-of-range numbers, bytes that are not UTF-8).
std::string replaced(const std::string& from, const std::string& to) {
  std::string text = valid_model().dump();
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no '" + from + "' in the valid model");
  return text.replace(at, from.size(), to);
}

// A model whose vocabulary really has vocab_size entries, so that the config passes the tokenizer checks and
// the declared tensor sizes are what the loader has to judge.
json model_with_vocab(int64_t vocab_size, int64_t d_model) {
  json m = valid_model();
  m["config"]["vocab_size"] = vocab_size;
  m["config"]["d_model"] = d_model;
  json vocab = {"[PAD]", "[UNK]"};
  for (int64_t i = 2; i < vocab_size; ++i) vocab.push_back("w" + std::to_string(i));
  m["tokenizer"]["vocab"] = vocab;
  return m;
}

struct BadModel {
  const char* description;
  std::function<std::string()> text;  // the whole file
  std::string message;                // exactly what the ModelError says
};

// A case built by changing the valid model as JSON.
std::function<std::string()> edit(std::function<void(json&)> change) {
  return [change] {
    json m = valid_model();
    change(m);
    return m.dump();
  };
}

std::function<std::string()> raw(std::string text) {
  return [text] { return text; };
}

std::function<std::string()> replace(std::string from, std::string to) {
  return [from, to] { return replaced(from, to); };
}

std::function<std::string()> truncated_to(double fraction) {
  return [fraction] {
    const std::string text = valid_model().dump();
    return text.substr(0, static_cast<size_t>(static_cast<double>(text.size()) * fraction));
  };
}

const std::vector<BadModel>& bad_models() {
  static const std::vector<BadModel> cases = {
      // --- not a model at all
      {"not JSON", raw("hello"),
       "m.json: not valid JSON (at byte 1): [json.exception.parse_error.101] parse error at line 1, column 1: "
       "syntax error while parsing value - invalid literal; last read: 'h'"},
      {"empty file", raw(""),
       "m.json: not valid JSON (at byte 1): [json.exception.parse_error.101] parse error at line 1, column 1: "
       "syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal"},
      {"truncated in the middle", truncated_to(0.5),
       "m.json: not valid JSON (at byte 1388): [json.exception.parse_error.101] parse error at line 1, column 1388: "
       "syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal"},
      {"truncated by its last byte", [] { std::string t = valid_model().dump(); t.pop_back(); return t; },
       "m.json: not valid JSON (at byte 2775): [json.exception.parse_error.101] parse error at line 1, column 2775: "
       "syntax error while parsing object - unexpected end of input; expected '}'"},
      {"only an opening brace", raw("{"),
       "m.json: not valid JSON (at byte 2): [json.exception.parse_error.101] parse error at line 1, column 2: "
       "syntax error while parsing object key - unexpected end of input; expected string literal"},
      {"trailing garbage after the object", [] { return valid_model().dump() + " x"; },
       "m.json: not valid JSON (at byte 2777): [json.exception.parse_error.101] parse error at line 1, column 2777: "
       "syntax error while parsing value - invalid literal; last read: '2]}]} x'; expected end of input"},
      {"a byte that is not UTF-8 inside a string", replace("\"good\"", "\"go\xff" "d\""),
       "m.json: not valid JSON (at byte 538): [json.exception.parse_error.101] parse error at line 1, column 538: "
       "syntax error while parsing value - invalid string: ill-formed UTF-8 byte; last read: '\"go\xff'"},
      {"top level is an array", raw("[1, 2]"), "m.json: expected a JSON object at the top level, got array"},
      {"top level is a string", raw("\"model\""), "m.json: expected a JSON object at the top level, got string"},
      {"NaN literal in data", replace("\"data\":[-0.25", "\"data\":[NaN"),
       "m.json: not valid JSON (at byte 583): [json.exception.parse_error.101] parse error at line 1, column 583: "
       "syntax error while parsing value - invalid literal; last read: '\"data\":[N'"},
      {"Infinity literal in data", replace("\"data\":[-0.25", "\"data\":[Infinity"),
       "m.json: not valid JSON (at byte 583): [json.exception.parse_error.101] parse error at line 1, column 583: "
       "syntax error while parsing value - invalid literal; last read: '\"data\":[I'"},
      {"-Infinity literal in the config", replace("\"layer_norm_eps\":1e-06", "\"layer_norm_eps\":-Infinity"),
       "m.json: not valid JSON (at byte 120): [json.exception.parse_error.101] parse error at line 1, column 120: "
       "syntax error while parsing value - invalid number; expected digit after '-'; last read: '-I'"},
      {"number beyond a double in data", replace("\"data\":[-0.25", "\"data\":[1e999"),
       "m.json: number out of range: [json.exception.out_of_range.406] number overflow parsing '1e999'"},
      {"negative number beyond a double in the config",
       replace("\"layer_norm_eps\":1e-06", "\"layer_norm_eps\":-2.5e400"),
       "m.json: number out of range: [json.exception.out_of_range.406] number overflow parsing '-2.5e400'"},
      {"quoted NaN in data", replace("\"data\":[-0.25", "\"data\":[\"NaN\""),
       "m.json: weights[0].data[0]: expected a number, got string"},

      // --- format_version
      {"no format_version", edit([](json& m) { m.erase("format_version"); }),
       "m.json: format_version: missing (is this an attn model file?)"},
      {"newer format_version", edit([](json& m) { m["format_version"] = 3; }),
       "m.json: format_version: 3 is newer than this attn supports (up to 2); a newer attn is needed to read this file"},
      {"format_version 0", edit([](json& m) { m["format_version"] = 0; }),
       "m.json: format_version: expected a positive integer, got 0"},
      {"negative format_version", edit([](json& m) { m["format_version"] = -1; }),
       "m.json: format_version: expected a positive integer, got -1"},
      {"format_version as a string", edit([](json& m) { m["format_version"] = "1"; }),
       "m.json: format_version: expected a positive integer, got \"1\""},
      {"fractional format_version", edit([](json& m) { m["format_version"] = 1.5; }),
       "m.json: format_version: expected a positive integer, got 1.5"},
      {"format_version beyond int64", replace("\"format_version\":1", "\"format_version\":18446744073709551615"),
       "m.json: format_version: expected a positive integer, got 18446744073709551615"},
      {"null format_version", edit([](json& m) { m["format_version"] = nullptr; }),
       "m.json: format_version: expected a positive integer, got null"},
      {"format_version as an array", edit([](json& m) { m["format_version"] = {1}; }),
       "m.json: format_version: expected a positive integer, got array"},
      {"format_version nested a million arrays deep",
       [] {
         const size_t depth = 1000000;
         return "{\"format_version\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
       },
       "m.json: format_version: expected a positive integer, got array"},

      // --- sections
      {"unknown top-level key", edit([](json& m) { m["weigths"] = json::array(); }),
       "m.json: weigths: unknown key (expected one of: format_version, config, tokenizer, labels, weights, metadata)"},
      {"no config", edit([](json& m) { m.erase("config"); }), "m.json: config: missing"},
      {"config is an array", edit([](json& m) { m["config"] = json::array(); }),
       "m.json: config: expected an object, got array"},
      {"no weights", edit([](json& m) { m.erase("weights"); }), "m.json: weights: missing"},
      {"weights is an object", edit([](json& m) { m["weights"] = json::object(); }),
       "m.json: weights: expected an array, got object"},
      {"a tensor that is not an object", edit([](json& m) { m["weights"][3] = 7; }),
       "m.json: weights[3]: expected an object, got integer"},
      {"a tensor with an extra key", edit([](json& m) { m["weights"][0]["dtype"] = "f32"; }),
       "m.json: weights[0].dtype: unknown key (expected one of: name, shape, data)"},
      {"a tensor without data", edit([](json& m) { m["weights"][0].erase("data"); }),
       "m.json: weights[0].data: missing"},
      {"a tensor name that is not a string", edit([](json& m) { m["weights"][0]["name"] = 0; }),
       "m.json: weights[0].name: expected a string, got integer"},

      // --- which tensors
      {"one missing tensor", edit([](json& m) { m["weights"].erase(m["weights"].begin() + 18); }),
       "m.json: weights: 1 missing tensor: classifier.bias"},
      {"missing tensors listed together",
       edit([](json& m) {
         auto& w = m["weights"];
         w.erase(w.begin() + 1);  // layers.0.attention.query.weight
         w.erase(w.begin() + 1);  // layers.0.attention.query.bias
         w.erase(w.begin());      // embedding.weight
       }),
       "m.json: weights: 3 missing tensors: embedding.weight, layers.0.attention.query.weight, "
       "layers.0.attention.query.bias"},
      {"no tensors at all", edit([](json& m) { m["weights"] = json::array(); }),
       "m.json: weights: 19 missing tensors: embedding.weight, layers.0.attention.query.weight, "
       "layers.0.attention.query.bias, layers.0.attention.key.weight, layers.0.attention.key.bias, "
       "layers.0.attention.value.weight, layers.0.attention.value.bias, layers.0.attention.output.weight, "
       "layers.0.attention.output.bias, layers.0.attention_norm.weight, layers.0.attention_norm.bias, "
       "layers.0.ffn.linear1.weight, layers.0.ffn.linear1.bias, layers.0.ffn.linear2.weight, "
       "layers.0.ffn.linear2.bias, layers.0.ffn_norm.weight, layers.0.ffn_norm.bias, classifier.weight, "
       "classifier.bias"},
      {"unknown tensor name", edit([](json& m) { m["weights"][5]["name"] = "layers.0.attention.vaule.weight"; }),
       "m.json: weights[5].name: unknown tensor \"layers.0.attention.vaule.weight\" for this config (1 layers)"},
      {"a layer beyond num_layers", edit([](json& m) { m["weights"].push_back(tensor("layers.1.ffn_norm.bias", {4})); }),
       "m.json: weights[19].name: unknown tensor \"layers.1.ffn_norm.bias\" for this config (1 layers)"},
      {"duplicated tensor", edit([](json& m) { m["weights"].push_back(m["weights"][2]); }),
       "m.json: weights[19].name: duplicate tensor \"layers.0.attention.query.bias\" (first at weights[2])"},

      // --- shapes and data
      {"transposed shape", edit([](json& m) { weight_named(m, "layers.0.ffn.linear1.weight")["shape"] = {4, 6}; }),
       "m.json: weights[11]: \"layers.0.ffn.linear1.weight\" has shape [4,6], expected [6,4] "
       "(vocab_size=6, d_model=4, ffn_dim=6, num_labels=2)"},
      {"flattened shape", edit([](json& m) { weight_named(m, "layers.0.ffn.linear1.weight")["shape"] = {24}; }),
       "m.json: weights[11]: \"layers.0.ffn.linear1.weight\" has shape [24], expected [6,4] "
       "(vocab_size=6, d_model=4, ffn_dim=6, num_labels=2)"},
      {"empty shape", edit([](json& m) { weight_named(m, "classifier.bias")["shape"] = json::array(); }),
       "m.json: weights[18]: \"classifier.bias\" has shape [], expected [2] "
       "(vocab_size=6, d_model=4, ffn_dim=6, num_labels=2)"},
      {"negative shape", edit([](json& m) { weight_named(m, "classifier.bias")["shape"] = {-2}; }),
       "m.json: weights[18]: \"classifier.bias\" has shape [-2], expected [2] "
       "(vocab_size=6, d_model=4, ffn_dim=6, num_labels=2)"},
      {"shape that is not an array", edit([](json& m) { weight_named(m, "classifier.bias")["shape"] = 2; }),
       "m.json: weights[18].shape: expected an array, got integer"},
      {"string in a shape", edit([](json& m) { weight_named(m, "classifier.weight")["shape"] = {"2", 4}; }),
       "m.json: weights[17].shape[0]: expected an integer, got string"},
      {"fraction in a shape", edit([](json& m) { weight_named(m, "classifier.weight")["shape"] = {2, 4.5}; }),
       "m.json: weights[17].shape[1]: expected an integer, got number"},
      {"one value too many", edit([](json& m) { weight_named(m, "classifier.bias")["data"].push_back(0.5); }),
       "m.json: weights[18].data: has 3 values, expected 2 for shape [2]"},
      {"one value too few", edit([](json& m) { weight_named(m, "embedding.weight")["data"].erase(0); }),
       "m.json: weights[0].data: has 23 values, expected 24 for shape [6,4]"},
      {"no values", edit([](json& m) { weight_named(m, "classifier.weight")["data"] = json::array(); }),
       "m.json: weights[17].data: has 0 values, expected 8 for shape [2,4]"},
      {"data that is not an array", edit([](json& m) { weight_named(m, "classifier.bias")["data"] = 0.5; }),
       "m.json: weights[18].data: expected an array, got number"},
      {"string in data", edit([](json& m) { weight_named(m, "classifier.bias")["data"][1] = "0.5"; }),
       "m.json: weights[18].data[1]: expected a number, got string"},
      {"null in data", edit([](json& m) { weight_named(m, "classifier.bias")["data"][0] = nullptr; }),
       "m.json: weights[18].data[0]: expected a number, got null"},
      {"boolean in data", edit([](json& m) { weight_named(m, "classifier.bias")["data"][0] = true; }),
       "m.json: weights[18].data[0]: expected a number, got boolean"},
      {"nested array in data", edit([](json& m) { weight_named(m, "classifier.bias")["data"][0] = {0.5}; }),
       "m.json: weights[18].data[0]: expected a number, got array"},
      {"float32 overflow in data", edit([](json& m) { weight_named(m, "classifier.bias")["data"][0] = 1e39; }),
       "m.json: weights[18].data[0]: value 1e+39 is not a finite float32"},
      {"negative float32 overflow in data",
       edit([](json& m) { weight_named(m, "classifier.bias")["data"][1] = -3.5e38; }),
       "m.json: weights[18].data[1]: value -3.5e+38 is not a finite float32"},

      // --- config
      {"string where a dimension belongs", edit([](json& m) { m["config"]["d_model"] = "4"; }),
       "m.json: config.d_model: expected an integer, got string"},
      {"fraction where a dimension belongs", edit([](json& m) { m["config"]["d_model"] = 4.0; }),
       "m.json: config.d_model: expected an integer, got number"},
      {"zero dimension", edit([](json& m) { m["config"]["d_model"] = 0; }),
       "m.json: config.d_model: 0 is out of range (expected 1 to 65536)"},
      {"negative dimension", edit([](json& m) { m["config"]["ffn_dim"] = -6; }),
       "m.json: config.ffn_dim: -6 is out of range (expected 1 to 65536)"},
      {"zero layers", edit([](json& m) { m["config"]["num_layers"] = 0; }),
       "m.json: config.num_layers: 0 is out of range (expected 1 to 65536)"},
      {"one label", edit([](json& m) { m["config"]["num_labels"] = 1; }),
       "m.json: config.num_labels: 1 is out of range (expected 2 to 65536)"},
      {"dimension just above the limit", edit([](json& m) { m["config"]["max_length"] = 65537; }),
       "m.json: config.max_length: 65537 is out of range (expected 1 to 65536)"},
      {"absurd dimension", edit([](json& m) { m["config"]["vocab_size"] = 1000000000000LL; }),
       "m.json: config.vocab_size: 1000000000000 is out of range (expected 1 to 65536)"},
      {"dimension beyond int64", replace("\"vocab_size\":6", "\"vocab_size\":18446744073709551616"),
       "m.json: config.vocab_size: expected an integer, got number"},
      {"heads not dividing d_model", edit([](json& m) { m["config"]["num_heads"] = 3; }),
       "m.json: config.num_heads: 3 does not divide d_model=4"},
      {"zero heads", edit([](json& m) { m["config"]["num_heads"] = 0; }),
       "m.json: config.num_heads: 0 is out of range (expected 1 to 65536)"},
      {"zero layer_norm_eps", edit([](json& m) { m["config"]["layer_norm_eps"] = 0; }),
       "m.json: config.layer_norm_eps: must be in (0, 1], got 0.000000"},
      {"string layer_norm_eps", edit([](json& m) { m["config"]["layer_norm_eps"] = "1e-6"; }),
       "m.json: config.layer_norm_eps: expected a number, got string"},
      {"missing config key", edit([](json& m) { m["config"].erase("activation"); }),
       "m.json: config.activation: missing"},
      {"unknown config key", edit([](json& m) { m["config"]["dropout"] = 0.1; }),
       "m.json: config.dropout: unknown key (expected one of: vocab_size, max_length, d_model, num_heads, num_layers, "
       "ffn_dim, num_labels, layer_norm_eps, norm_placement, activation, positional_encoding, attention_score, "
       "causal, pooling)"},
      {"unsupported activation", edit([](json& m) { m["config"]["activation"] = "swish"; }),
       "m.json: config.activation: \"swish\" is not supported (supported: relu, gelu, gelu_tanh)"},
      {"a 4-billion-element tensor (65536 x 65536 embedding)", [] { return model_with_vocab(65536, 65536).dump(); },
       "m.json: config: tensor embedding.weight would have shape [65536,65536] (4294967296 elements, more than the "
       "limit of 2147483648)"},
      {"a 4-billion-element weight matrix (d_model 65536)",
       edit([](json& m) {
         m["config"]["d_model"] = 65536;
         m["config"]["num_heads"] = 1;
       }),
       "m.json: config: tensor layers.0.attention.query.weight would have shape [65536,65536] (4294967296 elements, "
       "more than the limit of 2147483648)"},

      // --- tokenizer and vocabulary
      {"vocabulary longer than vocab_size", edit([](json& m) { m["tokenizer"]["vocab"].push_back("extra"); }),
       "m.json: tokenizer.vocab: has 7 entries, expected config.vocab_size=6"},
      {"empty vocabulary", edit([](json& m) { m["tokenizer"]["vocab"] = json::array(); }),
       "m.json: tokenizer.vocab: has 0 entries, expected config.vocab_size=6"},
      {"embedding rows not matching vocab_size",
       edit([](json& m) { weight_named(m, "embedding.weight") = tensor("embedding.weight", {7, 4}); }),
       "m.json: weights[0]: \"embedding.weight\" has shape [7,4], expected [6,4] "
       "(vocab_size=6, d_model=4, ffn_dim=6, num_labels=2)"},
      {"duplicated vocabulary entry", edit([](json& m) { m["tokenizer"]["vocab"][4] = "good"; }),
       "m.json: tokenizer.vocab[4]: duplicate entry \"good\" (first at 2)"},
      {"duplicated special token", edit([](json& m) { m["tokenizer"]["vocab"][5] = "[PAD]"; }),
       "m.json: tokenizer.vocab[5]: duplicate entry \"[PAD]\" (first at 0)"},
      {"empty vocabulary entry", edit([](json& m) { m["tokenizer"]["vocab"][3] = ""; }),
       "m.json: tokenizer.vocab[3]: empty entry"},
      {"vocabulary entry that is not a string", edit([](json& m) { m["tokenizer"]["vocab"][3] = 3; }),
       "m.json: tokenizer.vocab[3]: expected a string, got integer"},
      {"unk token not in the vocabulary", edit([](json& m) { m["tokenizer"]["special_tokens"]["unk"] = "<unk>"; }),
       "m.json: tokenizer.special_tokens.unk: \"<unk>\" is not in tokenizer.vocab"},
      {"pad token not in the vocabulary", edit([](json& m) { m["tokenizer"]["vocab"][0] = "[PAD0]"; }),
       "m.json: tokenizer.special_tokens.pad: \"[PAD]\" is not in tokenizer.vocab"},
      {"no unk token named", edit([](json& m) { m["tokenizer"]["special_tokens"].erase("unk"); }),
       "m.json: tokenizer.special_tokens.unk: missing"},
      {"unknown special token", edit([](json& m) { m["tokenizer"]["special_tokens"]["cls"] = "[CLS]"; }),
       "m.json: tokenizer.special_tokens.cls: unknown key (expected one of: pad, unk)"},
      {"unsupported tokenizer kind", edit([](json& m) { m["tokenizer"]["kind"] = "bpe"; }),
       "m.json: tokenizer.kind: \"bpe\" is not supported (supported: wordpiece)"},
      {"zero max_word_chars", edit([](json& m) { m["tokenizer"]["max_word_chars"] = 0; }),
       "m.json: tokenizer.max_word_chars: 0 is out of range (expected 1 to 65536)"},

      // --- labels
      {"more labels than num_labels", edit([](json& m) { m["labels"].push_back("neutral"); }),
       "m.json: labels: has 3 labels, expected config.num_labels=2"},
      {"num_labels not matching the classifier", edit([](json& m) {
         m["config"]["num_labels"] = 3;
         m["labels"].push_back("neutral");
       }),
       "m.json: weights[17]: \"classifier.weight\" has shape [2,4], expected [3,4] "
       "(vocab_size=6, d_model=4, ffn_dim=6, num_labels=3)"},
      {"empty label", edit([](json& m) { m["labels"][0] = ""; }), "m.json: labels[0]: empty label"},
      {"duplicated label", edit([](json& m) { m["labels"][1] = "negative"; }),
       "m.json: labels[1]: duplicate label \"negative\" (first at 0)"},
      {"label that is not a string", edit([](json& m) { m["labels"][1] = 1; }),
       "m.json: labels[1]: expected a string, got integer"},
      {"labels not an array", edit([](json& m) { m["labels"] = "negative,positive"; }),
       "m.json: labels: expected an array, got string"},
  };
  return cases;
}

}  // namespace

TEST_CASE("the valid model of the bad-model table loads", "[loader][bad-models]") {
  CHECK(load_error(valid_model().dump()) == "(loaded without error)");
}

TEST_CASE("every malformed model gives its exact message", "[loader][bad-models]") {
  size_t checked = 0;
  for (const auto& c : bad_models()) {
    std::string message;
    try {
      message = load_error(c.text());
    } catch (const std::exception& e) {  // anything but a ModelError is a bug in the loader
      message = std::string("(not a ModelError) ") + e.what();
    }
    INFO(c.description);
    CHECK(message == c.message);
    ++checked;
  }
  CHECK(checked == bad_models().size());
}

TEST_CASE("declared tensor sizes never drive an allocation", "[loader][bad-models]") {
  // 65536 x 32768 is exactly the per-tensor limit, so the config passes; the file then holds only 24 values
  // for it. The loader must compare the data's length with the shape before allocating for the shape.
  json m = model_with_vocab(65536, 32768);
  weight_named(m, "embedding.weight")["shape"] = {65536, 32768};
  const std::string text = m.dump();
  std::string message;
  size_t largest = 0;
  {
    attn::testing::AllocationTracker tracker(size_t{256} << 20);  // an 8 GB request is refused, not made
    message = load_error(text);
    largest = tracker.largest();
  }
  CHECK(message == "m.json: weights[0].data: has 24 values, expected 2147483648 for shape [65536,32768]");
  // The parsed document and the vocabulary are allocated, each far below one 8 GB tensor.
  CHECK(largest < (size_t{64} << 20));
}
