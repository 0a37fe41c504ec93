// libFuzzer: arbitrary bytes through Tokenizer::encode with a fixed small vocabulary.
//
// The first byte picks the tokenizer options (lowercase, strip_accents, split_cjk) and max_length (1..32); the
// rest is the text. Invalid UTF-8 and "no tokens" are the documented InputErrors; anything else thrown, any
// sanitizer report, or a broken invariant (checked below, the UTF-8 verdict against an independent decoder) is a
// finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attn/errors.h"
#include "attn/tokenizer.h"
#include "attn/utf8.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();  // libFuzzer reports the abort with the input that caused it
}

// Offset of the first ill-formed sequence by the Unicode Standard's Table 3-7, or nothing for valid UTF-8.
// Written from the table, independently of src/model/utf8.cpp, so the two can disagree.
std::optional<size_t> first_invalid_utf8(std::string_view text) {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = b[i];
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // range of the second byte
    if (c <= 0x7F) length = 1;
    else if (c >= 0xC2 && c <= 0xDF) length = 2;
    else if (c == 0xE0) length = 3, low = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) length = 3;
    else if (c == 0xED) length = 3, high = 0x9F;
    else if (c == 0xF0) length = 4, low = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) length = 4;
    else if (c == 0xF4) length = 4, high = 0x8F;
    else return i;
    for (size_t k = 1; k < length; ++k) {
      if (i + k >= n) return i;
      const unsigned char next = b[i + k];
      const unsigned char lo = k == 1 ? low : 0x80, hi = k == 1 ? high : 0xBF;
      if (next < lo || next > hi) return i;
    }
    i += length;
  }
  return std::nullopt;
}

std::vector<std::string> vocabulary() {
  return {"[PAD]", "[UNK]", "the", "good", "bad", "film", "##s", "##ing", "##ed", "a", "##a", "b", "##b",
          "!", ",", ".", "'", "-", "caf", "##e", "é", "cafe", "日", "本", "語", "naïve", "naive", "ß", "##ß",
          "i", "##i", "ǅ", "ﬁ", "##\xcc\x81", "\xe2\x80\xa8", "x\xe2\x80\xa9y"};
}

std::vector<std::unique_ptr<attn::Tokenizer>> make_tokenizers() {
  std::vector<std::unique_ptr<attn::Tokenizer>> all;
  for (int options = 0; options < 8; ++options) {
    attn::TokenizerConfig config;
    config.lowercase = (options & 1) != 0;
    config.strip_accents = (options & 2) != 0;
    config.split_cjk = (options & 4) != 0;
    config.max_word_chars = 12;
    all.push_back(std::make_unique<attn::Tokenizer>(config, vocabulary()));
  }
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto tokenizers = make_tokenizers();
  if (size == 0) return 0;
  const attn::Tokenizer& tokenizer = *tokenizers[data[0] & 7];
  const size_t max_length = 1 + ((data[0] >> 3) & 31);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::optional<size_t> bad_at = first_invalid_utf8(text);

  attn::Encoding encoding;
  try {
    encoding = tokenizer.encode(text, max_length);
  } catch (const attn::InvalidUtf8Error& e) {
    require(bad_at.has_value() && e.byte_offset() == *bad_at);
    return 0;
  } catch (const attn::InputError&) {  // no tokens
    require(!bad_at.has_value());
    require(tokenizer.tokenize(text).empty());
    return 0;
  }
  require(!bad_at.has_value());

  // Truncation keeps a prefix of the full token list, and says so.
  const std::vector<std::string> all_tokens = tokenizer.tokenize(text);
  require(!encoding.ids.empty() && encoding.ids.size() <= max_length);
  require(encoding.ids.size() == encoding.tokens.size());
  require(encoding.num_tokens_before_truncation == all_tokens.size());
  require(encoding.truncated() == (all_tokens.size() > max_length));
  for (size_t i = 0; i < encoding.ids.size(); ++i) {
    const int32_t id = encoding.ids[i];
    require(id >= 0 && static_cast<size_t>(id) < tokenizer.vocab_size());
    require(encoding.tokens[i] == tokenizer.token(id) && encoding.tokens[i] == all_tokens[i]);
  }
  // Every word of stage 1 is non-empty, valid UTF-8 and free of white space.
  for (const std::string& word : tokenizer.basic_tokenize(text)) {
    require(!word.empty() && !first_invalid_utf8(word).has_value());
    require(word.find_first_of(" \t\r\n") == std::string::npos);
  }
  // The same text gives the same ids.
  require(tokenizer.encode(text, max_length).ids == encoding.ids);
  return 0;
}
