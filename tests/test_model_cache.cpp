// The binary model cache gives a model bit-identical to the JSON one, and is never used when stale or damaged.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "attn/model_cache.h"
#include "attn/tensor_table.h"

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

// Config, vocabulary, labels, and every tensor of the table (the optional ones included) to the bit.
void require_identical(const attn::Model& a, const attn::Model& b) {
  REQUIRE(std::memcmp(&a.config(), &b.config(), sizeof(attn::ModelConfig)) == 0);
  REQUIRE(a.labels() == b.labels());
  REQUIRE(a.tokenizer().vocab_size() == b.tokenizer().vocab_size());
  for (size_t i = 0; i < a.tokenizer().vocab_size(); ++i)
    REQUIRE(a.tokenizer().token(static_cast<int32_t>(i)) == b.tokenizer().token(static_cast<int32_t>(i)));
  const auto ta = attn::tensor_table(a.config(), a.weights());
  const auto tb = attn::tensor_table(b.config(), b.weights());
  REQUIRE(ta.size() == tb.size());
  for (size_t i = 0; i < ta.size(); ++i) {
    INFO(ta[i].name);
    REQUIRE(ta[i].name == tb[i].name);
    REQUIRE(ta[i].shape == tb[i].shape);
    REQUIRE(std::memcmp(ta[i].data, tb[i].data, static_cast<size_t>(ta[i].elements()) * sizeof(float)) == 0);
  }
}

}  // namespace

TEST_CASE("a cached model is bit-identical to the parsed JSON", "[cache]") {
  TempDir dir;
  const fs::path json = dir.path / "tiny.json";
  fs::copy_file(ATTN_FIXTURES_DIR "/tiny-model.json", json);
  const std::string cache_dir = (dir.path / "cache").string();
  // A file changed within the last second is not cached (its stamp could still miss a change).
  attn::CacheOutcome early;
  attn::load_model_cached(json.string(), cache_dir, &early);
  CHECK_FALSE(early.hit);
  CHECK(early.problem.find("changed within the last second") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));

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

TEST_CASE("every architecture variant goes through the cache unchanged", "[cache]") {
  // Learned positions, additive scores, the pre-norm final norm and attention pooling are tensors only some
  // configs have: each variant fixture is written to the cache and read back.
  size_t variants = 0;
  for (const auto& file : fs::directory_iterator(ATTN_FIXTURES_DIR "/variants")) {
    const std::string name = file.path().filename().string();
    if (name.size() < 11 || name.compare(name.size() - 11, 11, "-model.json") != 0) continue;
    INFO(name);
    TempDir dir;
    const fs::path json = dir.path / name;
    fs::copy_file(file.path(), json);
    const attn::Model parsed = attn::Model::load(json.string());
    const std::string entry = (dir.path / "entry.attncache").string();
    attn::write_model_cache(parsed, json.string(), entry);
    const auto cached = attn::read_model_cache(json.string(), entry);
    REQUIRE(cached.has_value());
    require_identical(parsed, *cached);
    ++variants;
  }
  CHECK(variants == 12);
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
