#pragma once
// BERT-style basic tokenization followed by WordPiece, exactly as specified in docs/model-format.md
// ("tokenizer") and as tools/attn_tokenizer.py implements it; tests/fixtures/tokenizer_cases.json holds the proof.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace attn {

// How the ids fed to the model frame a text's tokens (format v2, `tokenizer.wrap`): as they are, or as
// [CLS] tokens [SEP], the wrapping tokens coming from the tokenizer, never from the text.
enum class Wrap { None, ClsSep };
const char* to_string(Wrap wrap);  // "none", "cls_sep": the names in a model file

struct TokenizerConfig {
  bool lowercase = true;       // simple lowercase of every code point (U+0130 becomes "i")
  bool strip_accents = true;   // NFD, then drop nonspacing marks (Mn)
  bool split_cjk = true;       // every CJK ideograph is a word of its own
  std::string continuation_prefix = "##";
  int max_word_chars = 100;    // longer words (in code points, after normalisation) become unk_token
  std::string pad_token = "[PAD]";
  std::string unk_token = "[UNK]";
  Wrap wrap = Wrap::None;
  std::string cls_token;  // with Wrap::ClsSep: both in the vocabulary
  std::string sep_token;
};

struct Encoding {                     // one input text after tokenization
  std::vector<int32_t> ids;           // at most max_length ids
  std::vector<std::string> tokens;    // the vocabulary strings of ids
  size_t num_tokens_before_truncation = 0;  // the text's own tokens, never the wrapping ones
  bool wrapped = false;               // ids are [CLS] text tokens [SEP] (Tokenizer::wrap)
  size_t num_text_tokens() const { return ids.size() - (wrapped ? 2 : 0); }
  bool truncated() const { return num_tokens_before_truncation > num_text_tokens(); }
};

// Immutable once built; copies share the vocabulary, and every method is safe to call from several threads.
class Tokenizer {
 public:
  // Validates once: vocab non-empty, entries non-empty, valid UTF-8, unique; special tokens present (cls and sep
  // with Wrap::ClsSep);
  // max_word_chars > 0. Throws attn::ModelError naming the problem, e.g.
  // `tokenizer.vocab[17]: duplicate entry "the" (first at 5)`.
  Tokenizer(TokenizerConfig config, std::vector<std::string> vocab);

  // Stage 1: the words, each already lowercased / accent-stripped and with punctuation split off.
  // Throws InvalidUtf8Error for invalid UTF-8.
  std::vector<std::string> basic_tokenize(std::string_view text) const;

  // Stage 2 applied to every word: the vocabulary strings of all tokens (never truncated).
  std::vector<std::string> tokenize(std::string_view text) const;

  // The first max_length (> 0) tokens. Throws InvalidUtf8Error, and InputError("no tokens: ...") when the
  // text yields no token at all (empty, or only white space, dropped characters and stripped marks).
  Encoding encode(std::string_view text, size_t max_length) const;

  // The ids wrap() adds around a text: 2 with Wrap::ClsSep, else 0.
  size_t num_wrap_ids() const { return config_.wrap == Wrap::ClsSep ? 2 : 0; }
  // Frames an encoding of text tokens as the model reads them: [CLS] first and [SEP] last with Wrap::ClsSep (in
  // tokens too when it holds one string per id), nothing with Wrap::None.
  void wrap(Encoding& encoding) const;

  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  size_t vocab_size() const;
  const std::string& token(int32_t id) const;  // throws std::out_of_range for an id outside the vocabulary
  const TokenizerConfig& config() const { return config_; }

 private:
  struct Vocabulary;  // the entries plus lookup tables whose keys point into them (so never copied)

  // Appends the ids of every token of text (stage 1, then stage 2 per word).
  void append_ids(std::string_view text, std::vector<int32_t>& ids) const;
  // Appends the pieces of one word (UTF-8, num_code_points long), or unk_id_ alone.
  void wordpiece(std::string_view word, size_t num_code_points, std::vector<int32_t>& ids) const;

  TokenizerConfig config_;
  std::shared_ptr<const Vocabulary> vocab_;
  int32_t pad_id_ = 0;
  int32_t unk_id_ = 0;
  int32_t cls_id_ = -1;  // with Wrap::ClsSep only
  int32_t sep_id_ = -1;
};

}  // namespace attn
