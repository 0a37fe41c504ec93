// Format version 2 (docs/model-format-v2.md): the keys and tensors it adds, the [CLS] ... [SEP] wrapping with its
// text budget, the refusals with their exact messages, and a v2 model through the binary cache. The numbers of
// the forward pass are checked against the Hugging Face references by tests/hf_engine_test.py.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "attn/errors.h"
#include "attn/long_text.h"
#include "attn/model.h"
#include "attn/model_cache.h"
#include "attn/ops.h"
#include "attn/tensor_table.h"
#include "model_fixture.h"

using attn_test::load_error;
using attn_test::weight_named;
using nlohmann::json;

namespace {

// Small values, different per tensor and position, so that every tensor changes the result.
json tensor(const std::string& name, const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (auto s : shape) n *= static_cast<size_t>(s);
  std::vector<double> data(n);
  const double offset = static_cast<double>(name.size() % 7) * 0.01;
  for (size_t i = 0; i < n; ++i) data[i] = 0.05 * std::sin(static_cast<double>(i) * 1.3 + offset);
  return {{"name", name}, {"shape", shape}, {"data", data}};
}

json v2_model() { return attn_test::small_model_v2(tensor); }

std::string v2_error(const std::function<void(json&)>& change) {
  json m = v2_model();
  change(m);
  return load_error(m.dump());
}

std::string v1_error(const std::function<void(json&)>& change) {
  json m = attn_test::small_model(tensor);
  change(m);
  return load_error(m.dump());
}

}  // namespace

TEST_CASE("a format-v2 model loads with its new keys, tensors and metadata", "[format-v2]") {
  const attn::Model model = attn::Model::parse(v2_model().dump(), "m.json");
  const attn::ModelConfig& c = model.config();
  CHECK(c.embedding_width() == 6);
  CHECK(c.embedding_norm);
  CHECK(c.embedding_projection);
  CHECK(c.head == attn::Head::BertPooler);
  CHECK(c.activation == attn::Activation::GeluTanh);
  CHECK(c.layer_norm_eps == 1e-12f);  // survives as a float, not rounded to 0
  CHECK(c.layer_norm_eps > 0.0f);
  CHECK(model.file_info().format_version == 2);
  const json source = json::parse(model.file_info().metadata_json)["source"];
  CHECK(source["architecture"] == "BertForSequenceClassification");
  CHECK(source["files"]["vocab.txt"] == "ff00");

  std::vector<std::string> names;
  for (const auto& t : attn::tensor_shapes(c)) names.push_back(t.name + attn::shape_string(t.shape));
  for (const char* expected : {"embedding.weight[8,6]", "position_embedding.weight[8,6]", "embedding_norm.weight[6]",
                               "embedding_norm.bias[6]", "embedding_projection.weight[4,6]",
                               "embedding_projection.bias[4]", "head.dense.weight[4,4]", "head.dense.bias[4]"}) {
    INFO(expected);
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }

  const attn::Encoding e = model.encode("Good films");
  CHECK(e.tokens == std::vector<std::string>{"[CLS]", "good", "film", "##s", "[SEP]"});
  CHECK(e.ids == std::vector<int32_t>{2, 4, 6, 7, 3});
  CHECK(e.num_text_tokens() == 3);
  CHECK_FALSE(e.truncated());

  const std::vector<attn::Prediction> p = model.predict({&e});
  REQUIRE(p.size() == 1);
  CHECK(p[0].probabilities[0] + p[0].probabilities[1] == Approx(1.0));
}

TEST_CASE("the wrap comes after truncation: the text budget is max_length - 2", "[format-v2][long-text]") {
  const attn::Model model = attn::Model::parse(v2_model().dump(), "m.json");
  CHECK(model.text_budget() == 6);
  const std::string text = "good bad film good bad film good bad";  // 8 tokens, budget 6
  const attn::Encoding e = model.encode(text);
  CHECK(e.ids.size() == 8);
  CHECK(e.tokens == std::vector<std::string>{"[CLS]", "good", "bad", "film", "good", "bad", "film", "[SEP]"});
  CHECK(e.num_text_tokens() == 6);
  CHECK(e.num_tokens_before_truncation == 8);
  CHECK(e.truncated());

  // A text that contains "[SEP]" is tokenized as text: the wrapping tokens come from the tokenizer only.
  const attn::Encoding injected = model.encode("[SEP]");  // "[", "sep", "]": three unknown words
  CHECK(injected.ids.front() == 2);
  CHECK(injected.ids.back() == 3);
  CHECK(injected.num_text_tokens() == 3);

  attn::LongTextOptions options;
  options.policy = attn::LongTextPolicy::KeepEnd;
  const attn::LongTextEncoding end = attn::encode_long_text(model, text, options);
  CHECK(end.encoding.tokens ==
        std::vector<std::string>{"[CLS]", "film", "good", "bad", "film", "good", "bad", "[SEP]"});
  options.policy = attn::LongTextPolicy::KeepEnds;
  const attn::LongTextEncoding ends = attn::encode_long_text(model, text, options);
  CHECK(ends.encoding.tokens ==
        std::vector<std::string>{"[CLS]", "good", "bad", "film", "film", "good", "bad", "[SEP]"});
  options.policy = attn::LongTextPolicy::Window;
  options.stride = 2;
  const attn::LongTextEncoding windows = attn::encode_long_text(model, text, options);
  REQUIRE(windows.windows.size() == 2);  // starts 0 and 2, each 6 tokens
  CHECK(windows.window_starts == std::vector<size_t>{0, 2});
  CHECK_FALSE(windows.encoding.wrapped);
  CHECK(windows.encoding.tokens.size() == 8);
  for (size_t w = 0; w < 2; ++w) {
    CHECK(windows.windows[w].ids.size() == 8);
    CHECK(windows.windows[w].ids.front() == 2);
    CHECK(windows.windows[w].ids.back() == 3);
    const auto tokens = attn::window_tokens(windows, w, model.tokenizer());
    CHECK(tokens.front() == "[CLS]");
    CHECK(tokens.back() == "[SEP]");
    CHECK(tokens[1] == windows.encoding.tokens[windows.window_starts[w]]);
  }
  // Importance per id of each window -> per text token: [CLS] and [SEP] left out.
  const std::vector<std::vector<float>> per_id = {{9, 1, 1, 1, 1, 1, 1, 9}, {9, 1, 1, 1, 1, 1, 1, 9}};
  const std::vector<float> importance = attn::combine_window_importance(windows, per_id);
  REQUIRE(importance.size() == 8);
  for (float v : importance) CHECK(v == Approx(1.0 / 8));
}

TEST_CASE("format v1 refuses what only v2 has, v2 refuses what it does not know", "[format-v2][loader]") {
  CHECK(v1_error([](json& m) { m["config"]["embedding_dim"] = 4; }) ==
        "m.json: config.embedding_dim: unknown key (expected one of: vocab_size, max_length, d_model, num_heads, "
        "num_layers, ffn_dim, num_labels, layer_norm_eps, norm_placement, activation, positional_encoding, "
        "attention_score, causal, pooling)");
  CHECK(v1_error([](json& m) { m["config"]["activation"] = "gelu_tanh"; }) ==
        "m.json: config.activation: \"gelu_tanh\" needs format_version 2 (this file is version 1)");
  CHECK(v1_error([](json& m) { m["tokenizer"]["wrap"] = "cls_sep"; }) ==
        "m.json: tokenizer.wrap: unknown key (expected one of: kind, lowercase, strip_accents, split_cjk, "
        "continuation_prefix, max_word_chars, special_tokens, vocab)");
  CHECK(v1_error([](json& m) { m["tokenizer"]["special_tokens"]["cls"] = "[PAD]"; }) ==
        "m.json: tokenizer.special_tokens.cls: unknown key (expected one of: pad, unk)");

  CHECK(v2_error([](json& m) { m["config"].erase("head"); }) == "m.json: config.head: missing");
  CHECK(v2_error([](json& m) { m["config"]["head"] = "pooler"; }) ==
        "m.json: config.head: \"pooler\" is not supported (supported: linear, bert_pooler, distilbert, electra)");
  CHECK(v2_error([](json& m) { m["config"]["embedding_norm"] = 1; }) ==
        "m.json: config.embedding_norm: expected true or false, got integer");
  CHECK(v2_error([](json& m) { m["config"]["embedding_dim"] = 0; }) ==
        "m.json: config.embedding_dim: 0 is out of range (expected 1 to 65536)");
  CHECK(v2_error([](json& m) { m["config"]["embedding_projection"] = false; }) ==
        "m.json: config.embedding_dim: 6 differs from d_model=4 without embedding_projection (expected 4)");
  CHECK(v2_error([](json& m) { m["tokenizer"].erase("wrap"); }) == "m.json: tokenizer.wrap: missing");
  CHECK(v2_error([](json& m) { m["tokenizer"]["wrap"] = "cls"; }) ==
        "m.json: tokenizer.wrap: \"cls\" is not supported (supported: none, cls_sep)");
  CHECK(v2_error([](json& m) { m["tokenizer"]["special_tokens"].erase("sep"); }) ==
        "m.json: tokenizer.special_tokens.sep: missing");
  CHECK(v2_error([](json& m) { m["tokenizer"]["special_tokens"]["cls"] = "<s>"; }) ==
        "m.json: tokenizer.special_tokens.cls: \"<s>\" is not in tokenizer.vocab");
  CHECK(v2_error([](json& m) { m["config"]["max_length"] = 2; }) ==
        "m.json: config.max_length: 2 leaves no room for text inside the tokenizer's wrap (expected at least 3)");
  CHECK(v2_error([](json& m) {
          weight_named(m, "embedding_projection.weight")["shape"] = {6, 4};
        }) ==
        "m.json: weights[20]: \"embedding_projection.weight\" has shape [6,4], expected [4,6] (vocab_size=8, "
        "d_model=4, embedding_dim=6, ffn_dim=6, num_labels=2)");
  CHECK(v2_error([](json& m) {
          auto& w = m["weights"];
          for (size_t i = 0; i < w.size(); ++i)
            if (w[i]["name"] == "embedding_norm.bias") w.erase(i);
        }) == "m.json: weights: 1 missing tensor: embedding_norm.bias");
  CHECK(v2_error([](json& m) { m["config"]["head"] = "linear"; }) ==
        "m.json: weights[22].name: unknown tensor \"head.dense.weight\" for this config (1 layers)");
  // A wrap of none needs no [CLS] or [SEP].
  CHECK(v2_error([](json& m) {
          m["tokenizer"]["wrap"] = "none";
          m["tokenizer"]["special_tokens"] = {{"pad", "[PAD]"}, {"unk", "[UNK]"}};
        }) == "(loaded without error)");
}

TEST_CASE("the tanh GELU and the tanh of the pooler head", "[format-v2][ops]") {
  std::vector<float> x = {-3.0f, -0.5f, 0.0f, 0.7f, 2.5f};
  std::vector<float> t = x;
  attn::ops::gelu_tanh(x.data(), x.size());
  attn::ops::tanh_inplace(t.data(), t.size());
  const double k = std::sqrt(2.0 / M_PI);
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = std::vector<double>{-3.0, -0.5, 0.0, 0.7, 2.5}[i];
    CHECK(x[i] == Approx(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v)))).margin(1e-7));
    CHECK(t[i] == Approx(std::tanh(v)).margin(1e-7));
  }
}

TEST_CASE("metadata is kept for attn info, bounded in depth and size", "[format-v2]") {
  json m = v2_model();
  m["metadata"]["train"] = {{"lr", 0.001}, {"layers", json::array({1, 2})}};
  m["metadata"]["deep"] = {{"a", {{"b", {{"c", 1}}}}}};
  m["metadata"]["padding"] = std::vector<double>(300, 0.5);
  const json kept = json::parse(attn::Model::parse(m.dump(), "m.json").file_info().metadata_json);
  CHECK(kept["train"] == m["metadata"]["train"]);
  CHECK(kept["source"] == m["metadata"]["source"]);
  CHECK(kept["deep"]["a"]["b"] == "(an object of 1 member, not kept)");
  CHECK(kept["padding"] == "(an array of 300 members, not kept)");
  m.erase("metadata");
  CHECK(attn::Model::parse(m.dump(), "m.json").file_info().metadata_json.empty());
}

TEST_CASE("a format-v2 model goes through the binary cache unchanged", "[format-v2][cache]") {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "attn-v2-cache-XXXXXX").string();
  const fs::path dir = mkdtemp(pattern.data());
  const fs::path path = dir / "v2.json";
  std::ofstream(path) << v2_model().dump();
  const std::string cache_dir = (dir / "cache").string();
  // A file changed within the last second is not cached (its stamp could still miss a change): wait it out.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  attn::CacheOutcome first, second;
  const attn::Model parsed = attn::load_model_cached(path.string(), cache_dir, &first);
  const attn::Model cached = attn::load_model_cached(path.string(), cache_dir, &second);
  CHECK_FALSE(first.hit);
  CHECK(second.hit);
  CHECK(cached.config().embedding_width() == 6);
  CHECK(cached.config().head == attn::Head::BertPooler);
  CHECK(cached.config().layer_norm_eps == 1e-12f);
  CHECK(cached.tokenizer().config().wrap == attn::Wrap::ClsSep);
  CHECK(cached.tokenizer().config().cls_token == "[CLS]");
  CHECK(cached.tokenizer().config().sep_token == "[SEP]");
  CHECK(cached.file_info().format_version == 2);
  CHECK(cached.file_info().metadata_json == parsed.file_info().metadata_json);
  const attn::Encoding a = parsed.encode("good bad films"), b = cached.encode("good bad films");
  CHECK(a.ids == b.ids);
  CHECK(parsed.predict({&a})[0].probabilities == cached.predict({&b})[0].probabilities);
  std::error_code ec;
  fs::remove_all(dir, ec);
}
