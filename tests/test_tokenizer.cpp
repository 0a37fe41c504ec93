// The C++ tokenizer against the Python reference (tests/fixtures/tokenizer_cases.json, written by
// tools/make_tokenizer_cases.py), plus the behaviour the fixture cannot show: truncation, errors, UTF-8 codec.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/errors.h"
#include "attn/tokenizer.h"
#include "attn/utf8.h"

namespace {

using nlohmann::json;

const json& fixture() {
  static const json cases = [] {
    std::ifstream in(ATTN_FIXTURES_DIR "/tokenizer_cases.json");
    if (!in) throw std::runtime_error(ATTN_FIXTURES_DIR "/tokenizer_cases.json: cannot open");
    return json::parse(in);
  }();
  return cases;
}

attn::TokenizerConfig config_from(const json& node) {
  attn::TokenizerConfig config;
  config.lowercase = node.at("lowercase").get<bool>();
  config.strip_accents = node.at("strip_accents").get<bool>();
  config.split_cjk = node.at("split_cjk").get<bool>();
  config.continuation_prefix = node.at("continuation_prefix").get<std::string>();
  config.max_word_chars = node.at("max_word_chars").get<int>();
  config.pad_token = node.at("pad_token").get<std::string>();
  config.unk_token = node.at("unk_token").get<std::string>();
  return config;
}

std::string from_hex(const std::string& hex) {  // "c0 af" -> "\xC0\xAF"
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 3) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// Printable form of a test string for failure messages: control and non-ASCII bytes as \xHH.
std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned>(byte));
      out += buffer;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

template <typename Error, typename F>
std::string message_of(F&& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no exception>";
}

// The byte offset of the InvalidUtf8Error that action throws, or -1 if it throws none.
template <typename F>
long long invalid_utf8_offset(F&& action) {
  try {
    action();
  } catch (const attn::InvalidUtf8Error& e) {
    return static_cast<long long>(e.byte_offset());
  }
  return -1;
}

attn::Tokenizer small_tokenizer() {
  return attn::Tokenizer(attn::TokenizerConfig{}, {"[PAD]", "[UNK]", "the", "movie", "good", "##s", "."});
}

}  // namespace

TEST_CASE("tokenizer matches the Python reference on every fixture case", "[tokenizer]") {
  const json& data = fixture();
  const auto vocab = data.at("vocab").get<std::vector<std::string>>();
  std::map<std::string, attn::Tokenizer> tokenizers;
  for (const auto& [name, config] : data.at("configs").items()) {
    tokenizers.emplace(name, attn::Tokenizer(config_from(config), vocab));
  }
  const json& cases = data.at("cases");
  REQUIRE(cases.size() >= 60);
  for (const json& test : cases) {
    const auto text = test.at("text").get<std::string>();
    const auto& tokenizer = tokenizers.at(test.at("config").get<std::string>());
    INFO(test.at("config").get<std::string>() << ": " << test.at("note").get<std::string>() << ": \""
                                               << escaped(text) << "\"");
    CHECK(tokenizer.basic_tokenize(text) == test.at("words").get<std::vector<std::string>>());
    const auto tokens = test.at("tokens").get<std::vector<std::string>>();
    CHECK(tokenizer.tokenize(text) == tokens);
    if (tokens.empty()) {
      CHECK_THROWS_AS(tokenizer.encode(text, 512), attn::InputError);
    } else {
      const attn::Encoding encoding = tokenizer.encode(text, 512);
      CHECK(encoding.ids == test.at("ids").get<std::vector<int32_t>>());
      CHECK(encoding.tokens == tokens);
      CHECK_FALSE(encoding.truncated());
    }
  }
}

TEST_CASE("invalid UTF-8 is rejected at the offset Python reports", "[tokenizer][utf8]") {
  const attn::Tokenizer tokenizer = small_tokenizer();
  const json& invalid = fixture().at("invalid_utf8");
  REQUIRE(invalid.size() >= 8);
  for (const json& test : invalid) {
    const std::string bytes = from_hex(test.at("hex").get<std::string>());
    const auto offset = test.at("offset").get<long long>();
    INFO(test.at("note").get<std::string>() << ": " << test.at("hex").get<std::string>());
    CHECK(invalid_utf8_offset([&] { attn::decode_utf8(bytes); }) == offset);
    CHECK(invalid_utf8_offset([&] { attn::validate_utf8(bytes); }) == offset);
    CHECK(invalid_utf8_offset([&] { tokenizer.basic_tokenize(bytes); }) == offset);
    CHECK(invalid_utf8_offset([&] { tokenizer.encode(bytes, 16); }) == offset);
    CHECK_THAT(message_of<attn::InputError>([&] { tokenizer.encode(bytes, 16); }),
               Catch::StartsWith("invalid UTF-8 at byte " + std::to_string(offset) + ": "));
  }
}

TEST_CASE("random byte strings decode exactly as Python's strict decoder", "[utf8]") {
  const json& strings = fixture().at("random_bytes");
  REQUIRE(strings.size() >= 100);
  for (const json& test : strings) {
    const std::string bytes = from_hex(test.at("hex").get<std::string>());
    INFO(test.at("hex").get<std::string>());
    if (test.contains("offset")) {
      CHECK(invalid_utf8_offset([&] { attn::decode_utf8(bytes); }) == test.at("offset").get<long long>());
    } else {
      const std::u32string decoded = attn::decode_utf8(bytes);
      const auto expected = test.at("code_points").get<std::vector<uint32_t>>();
      CHECK(std::vector<uint32_t>(decoded.begin(), decoded.end()) == expected);
      CHECK(attn::encode_utf8(decoded) == bytes);
    }
  }
}

TEST_CASE("UTF-8 round trip of every scalar value", "[utf8]") {
  std::string encoded;
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp == 0xD800) cp = 0xE000;  // surrogates are not scalar values
    encoded.clear();
    attn::append_utf8(static_cast<char32_t>(cp), encoded);
    const size_t expected_length = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    size_t offset = 0;
    const char32_t decoded = attn::next_code_point(encoded, offset);
    if (encoded.size() != expected_length || offset != expected_length || decoded != cp) {
      FAIL("round trip of U+" << std::hex << cp << " gave " << escaped(encoded));
    }
  }
  const std::u32string boundaries = {0x0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000,
                                     0x10FFFF};
  CHECK(attn::decode_utf8(attn::encode_utf8(boundaries)) == boundaries);
  std::string out;
  CHECK_THROWS_AS(attn::append_utf8(0xD800, out), std::invalid_argument);
  CHECK_THROWS_AS(attn::append_utf8(0xDFFF, out), std::invalid_argument);
  CHECK_THROWS_AS(attn::append_utf8(0x110000, out), std::invalid_argument);
}

TEST_CASE("invalid UTF-8 never crashes the tokenizer", "[tokenizer][utf8]") {
  const attn::Tokenizer tokenizer = small_tokenizer();
  // Pieces of valid and invalid sequences, glued at random so that errors land at every position.
  const std::vector<std::string> parts = {"the ", "good", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xC3",
                                          "\xE2\x82", "\xF0\x9F", "\x80", "\xBF", "\xC0\xAF", "\xED\xA0\x80",
                                          "\xF4\x90\x80\x80", "\xFF", " ", "\x01", "."};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, parts.size() - 1);
  std::uniform_int_distribution<int> count(0, 12);
  std::uniform_int_distribution<int> any_byte(0, 255);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text;
    for (int i = count(rng); i > 0; --i) text += parts[pick(rng)];
    if (trial % 2 == 1 && !text.empty()) {  // and one byte anywhere replaced by any byte at all
      text[static_cast<size_t>(trial) % text.size()] = static_cast<char>(any_byte(rng));
    }
    try {
      const attn::Encoding encoding = tokenizer.encode(text, 8);
      CHECK(!encoding.ids.empty());
    } catch (const attn::InvalidUtf8Error& e) {
      CHECK(e.byte_offset() < text.size());
    } catch (const attn::InputError& e) {
      CHECK_THAT(std::string(e.what()), Catch::StartsWith("no tokens"));
    }
  }
}

TEST_CASE("canonical ordering of a long run of marks is not quadratic", "[tokenizer]") {
  // U+1D16D (class 226) and U+1D165 (class 216) are Mc, so they survive strip_accents, sorted by class.
  const std::string dot = "\xF0\x9D\x85\xAD", stem = "\xF0\x9D\x85\xA5";
  std::string text = "x", expected = "x";
  for (int i = 0; i < 50000; ++i) text += dot + stem;
  for (int i = 0; i < 50000; ++i) expected += stem;
  for (int i = 0; i < 50000; ++i) expected += dot;
  const attn::Tokenizer tokenizer = small_tokenizer();
  CHECK(tokenizer.basic_tokenize(text) == std::vector<std::string>{expected});
  CHECK(tokenizer.tokenize(text) == std::vector<std::string>{"[UNK]"});
}

TEST_CASE("encode keeps the first max_length tokens and reports the truncation", "[tokenizer]") {
  const attn::Tokenizer tokenizer = small_tokenizer();
  const attn::Encoding whole = tokenizer.encode("the good movies.", 5);
  CHECK(whole.tokens == std::vector<std::string>{"the", "good", "movie", "##s", "."});
  CHECK(whole.ids == std::vector<int32_t>{2, 4, 3, 5, 6});
  CHECK(whole.num_tokens_before_truncation == 5);
  CHECK_FALSE(whole.truncated());

  const attn::Encoding cut = tokenizer.encode("the good movies.", 3);
  CHECK(cut.tokens == std::vector<std::string>{"the", "good", "movie"});
  CHECK(cut.ids == std::vector<int32_t>{2, 4, 3});
  CHECK(cut.num_tokens_before_truncation == 5);
  CHECK(cut.truncated());

  const attn::Encoding one = tokenizer.encode("xyz the", 1);
  CHECK(one.tokens == std::vector<std::string>{"[UNK]"});
  CHECK(one.num_tokens_before_truncation == 2);
  CHECK_THROWS_AS(tokenizer.encode("the", 0), std::invalid_argument);
}

TEST_CASE("a text without tokens is an input error", "[tokenizer]") {
  const attn::Tokenizer tokenizer = small_tokenizer();
  for (const std::string& text : {std::string(), std::string("   "), std::string(" \t\r\n\xC2\xA0\xE3\x80\x80 "),
                                 std::string("\x01\x02\x7F"), std::string("\xE2\x80\x8B\xEF\xBB\xBF"),
                                 std::string("\0\0", 2), std::string("\xEF\xBF\xBD"), std::string("\xCC\x81")}) {
    INFO("\"" << escaped(text) << "\"");
    CHECK(tokenizer.tokenize(text).empty());
    CHECK_THAT(message_of<attn::InputError>([&] { tokenizer.encode(text, 8); }), Catch::StartsWith("no tokens: "));
  }
}

TEST_CASE("the vocabulary is validated with messages that name the entry", "[tokenizer]") {
  const attn::TokenizerConfig config;
  const auto error = [&](std::vector<std::string> vocab, attn::TokenizerConfig with = attn::TokenizerConfig{}) {
    return message_of<attn::ModelError>([&] { attn::Tokenizer(with, std::move(vocab)); });
  };
  CHECK(error({"[PAD]", "[UNK]", "the", "a", "the"}) == "tokenizer.vocab[4]: duplicate entry \"the\" (first at 2)");
  CHECK(error({"[PAD]", "[UNK]", "", "a"}) == "tokenizer.vocab[2]: empty entry");
  CHECK(error({}) == "tokenizer.vocab: is empty (it must hold at least the special tokens)");
  CHECK_THAT(error({"[PAD]", "[UNK]", "ok", "bad\xC3"}),
             Catch::StartsWith("tokenizer.vocab[3]: invalid UTF-8 at byte 3: "));
  CHECK(error({"[PAD]", "the"}) == "tokenizer.special_tokens.unk: \"[UNK]\" is not in tokenizer.vocab");
  CHECK(error({"[UNK]", "the"}) == "tokenizer.special_tokens.pad: \"[PAD]\" is not in tokenizer.vocab");
  attn::TokenizerConfig zero = config;
  zero.max_word_chars = 0;
  CHECK(error({"[PAD]", "[UNK]"}, zero) == "tokenizer.max_word_chars: must be > 0, got 0");
  attn::TokenizerConfig bad_prefix = config;
  bad_prefix.continuation_prefix = "\xFF";
  CHECK_THAT(error({"[PAD]", "[UNK]"}, bad_prefix),
             Catch::StartsWith("tokenizer.continuation_prefix: invalid UTF-8 at byte 0"));
  CHECK_THAT(error({"[PAD]", "[UNK]", "a\tb", "a\tb"}), Catch::Contains("duplicate entry \"a\\x09b\" (first at 2)"));
}

TEST_CASE("ids, tokens and special tokens", "[tokenizer]") {
  attn::TokenizerConfig config;
  config.pad_token = "<pad>";
  config.unk_token = "<unk>";
  std::optional<attn::Tokenizer> original(std::in_place, config, std::vector<std::string>{"a", "<unk>", "<pad>"});
  const attn::Tokenizer copy = *original;
  original.reset();  // the copy shares the vocabulary and outlives the original
  CHECK(copy.pad_id() == 2);
  CHECK(copy.unk_id() == 1);
  CHECK(copy.vocab_size() == 3);
  CHECK(copy.token(0) == "a");
  CHECK(copy.config().unk_token == "<unk>");
  CHECK_THROWS_AS(copy.token(3), std::out_of_range);
  CHECK_THROWS_AS(copy.token(-1), std::out_of_range);
  CHECK(copy.tokenize("A b") == std::vector<std::string>{"a", "<unk>"});
}
