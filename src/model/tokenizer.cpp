// Stage 1 (basic tokenization) and stage 2 (WordPiece) of docs/model-format.md, "tokenizer".
// Character properties come from utf8proc (Unicode 15.0); the order of the steps is the Python reference's
// (tools/attn_tokenizer.py). Texts are processed as code points without a copy of the whole text: one word's
// code points at a time, in buffers reused for the next word.
#include "attn/tokenizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <utility>

#include "attn/errors.h"
#include "attn/utf8.h"

namespace attn {

namespace {

// Piece -> id, open addressing with linear probing in one flat array, each slot keeping its key's hash. WordPiece
// tries every shorter prefix of an unknown word, so most lookups miss; a miss here usually ends at the first
// slot, without the pointer chasing of std::unordered_map's buckets (a twentieth of a run on short sentences).
class PieceTable {
 public:
  // The id already stored under key, or -1 after storing id.
  int32_t insert(std::string_view key, int32_t id) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    const uint64_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id < 0) {
        slot = {h, key, id};
        ++size_;
        return -1;
      }
      if (slot.hash == h && slot.key == key) return slot.id;
    }
  }

  // Room for `count` keys without growing: one allocation instead of a rehash at every doubling.
  void reserve(size_t count) {
    size_t slots = 64;
    while (slots < 2 * count) slots *= 2;
    if (slots > slots_.size()) rehash(slots);
  }

  int32_t find(std::string_view key) const {
    if (size_ == 0) return -1;
    const uint64_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id < 0) return -1;
      if (slot.hash == h && slot.key == key) return slot.id;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    std::string_view key;
    int32_t id = -1;  // -1: empty
  };

  // FNV-1a, then a multiply-xorshift so that the low bits (the slot index) depend on every byte.
  static uint64_t hash(std::string_view key) {
    uint64_t h = 14695981039346656037ull;
    for (const char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
  }

  void grow() { rehash(slots_.empty() ? 64 : 2 * slots_.size()); }

  // Moves every key into `slots` slots (a power of two), reusing the hashes already computed.
  void rehash(size_t slots) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(slots, Slot{});
    mask_ = slots - 1;
    for (const Slot& slot : old) {
      if (slot.id < 0) continue;
      size_t i = slot.hash & mask_;
      while (slots_[i].id >= 0) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;  // size a power of two, at most half full
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace

// Lookup keys are views into `entries`, so a Vocabulary is built once and shared, never copied.
struct Tokenizer::Vocabulary {
  std::vector<std::string> entries;  // id -> token
  PieceTable word_starts;            // every entry, for a word's first piece
  PieceTable continuations;          // entries with the prefix, keyed without it
  size_t longest_word_start = 0;     // bytes: no longer piece can match
  size_t longest_continuation = 0;

  Vocabulary() = default;
  Vocabulary(const Vocabulary&) = delete;
  Vocabulary& operator=(const Vocabulary&) = delete;
};

namespace {

// How stage 1 treats a code point of the input, before any normalisation.
enum class CharKind : unsigned char { kDropped, kSpace, kCjk, kWordChar };

// U+4E00-9FFF, U+3400-4DBF, extensions B-E (U+20000-2CEAF in five blocks), compatibility ideographs.
constexpr std::pair<char32_t, char32_t> kCjkRanges[] = {
    {0x4E00, 0x9FFF},   {0x3400, 0x4DBF},   {0x20000, 0x2A6DF}, {0x2A700, 0x2B73F},
    {0x2B740, 0x2B81F}, {0x2B820, 0x2CEAF}, {0xF900, 0xFAFF},   {0x2F800, 0x2FA1F},
};

bool is_cjk(char32_t cp) {
  if (cp < 0x3400) return false;  // fast exit for everything before the first range
  for (const auto& [low, high] : kCjkRanges) {
    if (cp >= low && cp <= high) return true;
  }
  return false;
}

bool is_ascii_punctuation(char32_t cp) {
  return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
         (cp >= 0x7B && cp <= 0x7E);
}

// Tab, newline and carriage return are white space; every other C0 control and DEL is Cc, so dropped
// (this includes VT, FF and the separators U+001C-001F, which Python's str.split would treat as space).
CharKind classify(char32_t cp, bool split_cjk) {
  if (cp < 0x80) {
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return CharKind::kSpace;
    if (cp < 0x20 || cp == 0x7F) return CharKind::kDropped;
    return CharKind::kWordChar;
  }
  if (cp == 0xFFFD) return CharKind::kDropped;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
      return CharKind::kDropped;
    case UTF8PROC_CATEGORY_ZS:  // only Zs: U+2028 (Zl) and U+2029 (Zp) stay inside their word
      return CharKind::kSpace;
    default:
      return split_cjk && is_cjk(cp) ? CharKind::kCjk : CharKind::kWordChar;
  }
}

bool is_punctuation(char32_t cp) {
  if (cp < 0x80) return is_ascii_punctuation(cp);
  const utf8proc_category_t category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO;
}

// Simple (one-to-one) lowercase mapping; U+0130 maps to U+0069 as UnicodeData.txt says.
char32_t to_lower(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
}

int combining_class(char32_t cp) {
  return cp < 0x300 ? 0 : utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class;
}

// NFD of `word` into `out`: the full canonical decomposition of each code point, then the canonical ordering
// (a stable sort by combining class of every run of non-zero classes). The ordering must come before marks are
// stripped: a stripped mark of class 0 (U+034F) separates runs that would otherwise be sorted together.
void to_nfd(const std::u32string& word, std::u32string& out) {
  out.clear();
  for (char32_t cp : word) {
    if (cp < 0xC0) {  // nothing below U+00C0 has a canonical decomposition
      out.push_back(cp);
      continue;
    }
    utf8proc_int32_t decomposed[8];  // canonical decompositions are at most 4 code points long
    int boundclass = 0;
    const utf8proc_ssize_t length = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), decomposed, 8,
                                                            UTF8PROC_DECOMPOSE, &boundclass);
    if (length < 1 || length > 8) throw std::logic_error("utf8proc_decompose_char failed");
    for (utf8proc_ssize_t i = 0; i < length; ++i) out.push_back(static_cast<char32_t>(decomposed[i]));
  }
  // A stable sort per run rather than the textbook insertion sort, which a line of alternating marks would
  // make quadratic.
  const auto by_class = [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); };
  for (size_t start = 0; start < out.size();) {
    if (combining_class(out[start]) == 0) {
      ++start;
      continue;
    }
    size_t end = start + 1;
    while (end < out.size() && combining_class(out[end]) != 0) ++end;
    if (end - start > 1) std::stable_sort(out.begin() + start, out.begin() + end, by_class);
    start = end;
  }
}

bool is_nonspacing_mark(char32_t cp) {
  return cp >= 0x300 && utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_MN;
}

// Collects the code points of one white-space-delimited word, then normalises it and splits off punctuation,
// handing each resulting word to `emit(std::string_view utf8, size_t num_code_points)`.
// The buffers live as long as one text, so a text costs a few allocations, not one per character.
template <typename Emit>
class WordSplitter {
 public:
  WordSplitter(const TokenizerConfig& config, Emit& emit) : config_(config), emit_(emit) {}

  void push(char32_t cp) {
    raw_.push_back(cp);
    raw_is_ascii_ = raw_is_ascii_ && cp < 0x80;
  }

  void finish_word() {
    if (raw_.empty()) return;
    if (config_.lowercase) {
      for (char32_t& cp : raw_) cp = to_lower(cp);
    }
    const std::u32string* word = &raw_;
    if (config_.strip_accents && !raw_is_ascii_) {  // ASCII is its own NFD and holds no marks
      to_nfd(raw_, normalized_);
      size_t kept = 0;
      for (char32_t cp : normalized_) {
        if (!is_nonspacing_mark(cp)) normalized_[kept++] = cp;
      }
      normalized_.resize(kept);
      word = &normalized_;
    }
    size_t num_code_points = 0;  // of piece_
    for (char32_t cp : *word) {
      if (is_punctuation(cp)) {
        flush(num_code_points);
        num_code_points = 0;
        append_utf8(cp, piece_);
        flush(1);
      } else {
        if (cp < 0x80) {
          piece_.push_back(static_cast<char>(cp));  // most text is ASCII: skip the call
        } else {
          append_utf8(cp, piece_);
        }
        ++num_code_points;
      }
    }
    flush(num_code_points);
    raw_.clear();
    raw_is_ascii_ = true;
  }

 private:
  void flush(size_t num_code_points) {
    if (!piece_.empty()) emit_(std::string_view(piece_), num_code_points);
    piece_.clear();
  }

  const TokenizerConfig& config_;
  Emit& emit_;
  std::u32string raw_;         // the word as it appears in the text (lowercased in place)
  bool raw_is_ascii_ = true;
  std::u32string normalized_;  // NFD without nonspacing marks
  std::string piece_;          // UTF-8 of the word being emitted
};

// Stage 1 over a whole text: drop, split on white space, isolate CJK ideographs, normalise, split punctuation.
template <typename Emit>
void for_each_word(const TokenizerConfig& config, std::string_view text, Emit emit) {
  WordSplitter<Emit> splitter(config, emit);
  size_t offset = 0;
  while (offset < text.size()) {
    const auto byte = static_cast<unsigned char>(text[offset]);
    char32_t cp = byte;
    if (byte < 0x80) {
      ++offset;
    } else {
      cp = next_code_point(text, offset);  // throws InvalidUtf8Error
    }
    switch (classify(cp, config.split_cjk)) {
      case CharKind::kDropped:
        break;
      case CharKind::kSpace:
        splitter.finish_word();
        break;
      case CharKind::kCjk:
        splitter.finish_word();
        splitter.push(cp);
        splitter.finish_word();
        break;
      case CharKind::kWordChar:
        splitter.push(cp);
        break;
    }
  }
  splitter.finish_word();
}

bool is_continuation_byte(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

// The entry as it should appear inside an error message: quoted, control characters escaped.
std::string quoted(std::string_view entry) {
  std::string out = "\"";
  for (char c : entry) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02X", static_cast<unsigned>(byte));
      out += escape;
    } else {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace

Tokenizer::Tokenizer(TokenizerConfig config, std::vector<std::string> vocab) : config_(std::move(config)) {
  if (config_.max_word_chars <= 0) {
    throw ModelError("tokenizer.max_word_chars: must be > 0, got " + std::to_string(config_.max_word_chars));
  }
  try {
    validate_utf8(config_.continuation_prefix);
  } catch (const InvalidUtf8Error& e) {
    throw ModelError(std::string("tokenizer.continuation_prefix: ") + e.what());
  }
  if (vocab.empty()) throw ModelError("tokenizer.vocab: is empty (it must hold at least the special tokens)");
  if (vocab.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw ModelError("tokenizer.vocab: " + std::to_string(vocab.size()) + " entries, more than ids can number");
  }

  auto table = std::make_shared<Vocabulary>();
  table->entries = std::move(vocab);
  const std::string& prefix = config_.continuation_prefix;
  const auto is_continuation = [&prefix](std::string_view entry) {
    return entry.size() > prefix.size() && entry.compare(0, prefix.size(), prefix) == 0;
  };
  table->word_starts.reserve(table->entries.size());
  table->continuations.reserve(
      static_cast<size_t>(std::count_if(table->entries.begin(), table->entries.end(), is_continuation)));
  for (size_t i = 0; i < table->entries.size(); ++i) {
    const std::string_view entry = table->entries[i];
    const auto where = [i] { return "tokenizer.vocab[" + std::to_string(i) + "]: "; };
    if (entry.empty()) throw ModelError(where() + "empty entry");
    try {
      validate_utf8(entry);
    } catch (const InvalidUtf8Error& e) {
      throw ModelError(where() + e.what());
    }
    const auto id = static_cast<int32_t>(i);
    const int32_t first = table->word_starts.insert(entry, id);
    if (first >= 0) {
      throw ModelError(where() + "duplicate entry " + quoted(entry) + " (first at " + std::to_string(first) + ")");
    }
    table->longest_word_start = std::max(table->longest_word_start, entry.size());
    if (is_continuation(entry)) {
      table->continuations.insert(entry.substr(prefix.size()), id);
      table->longest_continuation = std::max(table->longest_continuation, entry.size() - prefix.size());
    }
  }

  const auto special_id = [&](const char* key, const std::string& token) {
    const int32_t found = table->word_starts.find(token);
    if (found < 0) {
      throw ModelError(std::string("tokenizer.special_tokens.") + key + ": " + quoted(token) +
                       " is not in tokenizer.vocab");
    }
    return found;
  };
  pad_id_ = special_id("pad", config_.pad_token);
  unk_id_ = special_id("unk", config_.unk_token);
  if (config_.wrap == Wrap::ClsSep) {
    cls_id_ = special_id("cls", config_.cls_token);
    sep_id_ = special_id("sep", config_.sep_token);
  }
  vocab_ = std::move(table);
}

const char* to_string(Wrap wrap) { return wrap == Wrap::ClsSep ? "cls_sep" : "none"; }

void Tokenizer::wrap(Encoding& encoding) const {
  if (config_.wrap == Wrap::None || encoding.wrapped) return;
  const bool with_tokens = encoding.tokens.size() == encoding.ids.size();
  encoding.ids.insert(encoding.ids.begin(), cls_id_);
  encoding.ids.push_back(sep_id_);
  if (with_tokens) {
    encoding.tokens.insert(encoding.tokens.begin(), config_.cls_token);
    encoding.tokens.push_back(config_.sep_token);
  }
  encoding.wrapped = true;
}

size_t Tokenizer::vocab_size() const { return vocab_->entries.size(); }

const std::string& Tokenizer::token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= vocab_->entries.size()) {
    throw std::out_of_range("Tokenizer::token: id " + std::to_string(id) + " outside the vocabulary (size " +
                            std::to_string(vocab_->entries.size()) + ")");
  }
  return vocab_->entries[static_cast<size_t>(id)];
}

std::vector<std::string> Tokenizer::basic_tokenize(std::string_view text) const {
  std::vector<std::string> words;
  for_each_word(config_, text, [&](std::string_view word, size_t) { words.emplace_back(word); });
  return words;
}

// Greedy longest match from the left; `word` is valid UTF-8, and pieces end only on code point boundaries.
// Starting at most `longest` bytes ahead gives the same pieces as trying from the end of the word.
void Tokenizer::wordpiece(std::string_view word, size_t num_code_points, std::vector<int32_t>& ids) const {
  if (num_code_points > static_cast<size_t>(config_.max_word_chars)) {
    ids.push_back(unk_id_);
    return;
  }
  const Vocabulary& table = *vocab_;
  const size_t first_piece = ids.size();
  size_t start = 0;
  while (start < word.size()) {
    const bool first = start == 0;
    const auto& pieces = first ? table.word_starts : table.continuations;
    const size_t longest = first ? table.longest_word_start : table.longest_continuation;
    size_t end = word.size();
    if (end - start > longest) {
      end = start + longest;
      while (end > start && is_continuation_byte(word[end])) --end;
    }
    int32_t found = -1;
    while (end > start) {
      found = pieces.find(word.substr(start, end - start));
      if (found >= 0) break;
      do {
        --end;
      } while (end > start && is_continuation_byte(word[end]));
    }
    if (found < 0) {  // some position has no piece: the whole word is unknown
      ids.resize(first_piece);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

void Tokenizer::append_ids(std::string_view text, std::vector<int32_t>& ids) const {
  for_each_word(config_, text, [&](std::string_view word, size_t num_code_points) {
    wordpiece(word, num_code_points, ids);
  });
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
  std::vector<int32_t> ids;
  append_ids(text, ids);
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) tokens.push_back(vocab_->entries[static_cast<size_t>(id)]);
  return tokens;
}

Encoding Tokenizer::encode(std::string_view text, size_t max_length) const {
  if (max_length == 0) throw std::invalid_argument("Tokenizer::encode: max_length must be > 0");
  Encoding encoding;
  append_ids(text, encoding.ids);
  if (encoding.ids.empty()) {
    throw InputError("no tokens: the text is empty or holds only white space and characters the tokenizer drops");
  }
  encoding.num_tokens_before_truncation = encoding.ids.size();
  if (encoding.ids.size() > max_length) encoding.ids.resize(max_length);
  encoding.tokens.reserve(encoding.ids.size());
  for (int32_t id : encoding.ids) encoding.tokens.push_back(vocab_->entries[static_cast<size_t>(id)]);
  return encoding;
}

}  // namespace attn
