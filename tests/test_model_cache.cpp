// The binary model cache gives a model bit-identical to the JSON one, and is never used when stale or damaged.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "attn/model_cache.h"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "attn-cache-test-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void require_identical(const attn::Model& a, const attn::Model& b) {
  REQUIRE(std::memcmp(&a.config(), &b.config(), sizeof(attn::ModelConfig)) == 0);
  REQUIRE(a.labels() == b.labels());
  REQUIRE(a.tokenizer().vocab_size() == b.tokenizer().vocab_size());
  for (size_t i = 0; i < a.tokenizer().vocab_size(); ++i)
    REQUIRE(a.tokenizer().token(static_cast<int32_t>(i)) == b.tokenizer().token(static_cast<int32_t>(i)));
  const auto& wa = a.weights();
  const auto& wb = b.weights();
  REQUIRE(same_bits(wa.embedding.table, wb.embedding.table));
  REQUIRE(wa.layers.size() == wb.layers.size());
  for (size_t l = 0; l < wa.layers.size(); ++l) {
    const auto &x = wa.layers[l], &y = wb.layers[l];
    REQUIRE(same_bits(x.attention.qkv_weight, y.attention.qkv_weight));
    REQUIRE(same_bits(x.attention.qkv_bias, y.attention.qkv_bias));
    REQUIRE(same_bits(x.attention.output_weight, y.attention.output_weight));
    REQUIRE(same_bits(x.attention.output_bias, y.attention.output_bias));
    REQUIRE(same_bits(x.attention_norm.gamma, y.attention_norm.gamma));
    REQUIRE(same_bits(x.attention_norm.beta, y.attention_norm.beta));
    REQUIRE(same_bits(x.ffn.linear1_weight, y.ffn.linear1_weight));
    REQUIRE(same_bits(x.ffn.linear1_bias, y.ffn.linear1_bias));
    REQUIRE(same_bits(x.ffn.linear2_weight, y.ffn.linear2_weight));
    REQUIRE(same_bits(x.ffn.linear2_bias, y.ffn.linear2_bias));
    REQUIRE(same_bits(x.ffn_norm.gamma, y.ffn_norm.gamma));
    REQUIRE(same_bits(x.ffn_norm.beta, y.ffn_norm.beta));
  }
  REQUIRE(same_bits(wa.classifier.weight, wb.classifier.weight));
  REQUIRE(same_bits(wa.classifier.bias, wb.classifier.bias));
}

}  // namespace

TEST_CASE("a cached model is bit-identical to the parsed JSON", "[cache]") {
  TempDir dir;
  const fs::path json = dir.path / "tiny.json";
  fs::copy_file(ATTN_FIXTURES_DIR "/tiny-model.json", json);
  const std::string cache_dir = (dir.path / "cache").string();

  attn::CacheOutcome first;
  const attn::Model parsed = attn::load_model_cached(json.string(), cache_dir, &first);
  CHECK_FALSE(first.hit);
  CHECK(first.problem.empty());
  REQUIRE(fs::exists(first.entry));

  attn::CacheOutcome second;
  const attn::Model cached = attn::load_model_cached(json.string(), cache_dir, &second);
  CHECK(second.hit);
  CHECK(second.entry == first.entry);
  require_identical(parsed, cached);
  require_identical(attn::Model::load(json.string()), cached);
}

TEST_CASE("a damaged, stale or foreign cache entry is ignored", "[cache]") {
  TempDir dir;
  const fs::path json = dir.path / "tiny.json";
  fs::copy_file(ATTN_FIXTURES_DIR "/tiny-model.json", json);
  const std::string entry = (dir.path / "entry.attncache").string();
  const attn::Model model = attn::Model::load(json.string());
  attn::write_model_cache(model, json.string(), entry);
  REQUIRE(attn::read_model_cache(json.string(), entry).has_value());

  SECTION("one flipped byte") {
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    char c;
    f.seekg(1000);
    f.get(c);
    f.seekp(1000);
    f.put(static_cast<char>(c ^ 0x10));
    f.close();
    CHECK_FALSE(attn::read_model_cache(json.string(), entry).has_value());
  }
  SECTION("truncated") {
    fs::resize_file(entry, fs::file_size(entry) / 2);
    CHECK_FALSE(attn::read_model_cache(json.string(), entry).has_value());
  }
  SECTION("the JSON changed since") {
    fs::last_write_time(json, fs::last_write_time(json) + std::chrono::seconds(5));
    CHECK_FALSE(attn::read_model_cache(json.string(), entry).has_value());
  }
  SECTION("another model's entry") {
    const fs::path other = dir.path / "other.json";
    fs::copy_file(json, other);
    CHECK_FALSE(attn::read_model_cache(other.string(), entry).has_value());
  }
}

TEST_CASE("an unwritable cache directory is reported, not fatal", "[cache]") {
  TempDir dir;
  const fs::path blocker = dir.path / "file";
  std::ofstream(blocker) << "x";
  attn::CacheOutcome outcome;
  const attn::Model model =
      attn::load_model_cached(ATTN_FIXTURES_DIR "/tiny-model.json", (blocker / "cache").string(), &outcome);
  CHECK_FALSE(outcome.hit);
  CHECK_FALSE(outcome.problem.empty());
  CHECK(model.config().d_model == 16);
}
