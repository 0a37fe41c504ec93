#pragma once
// What to do with a text that has more tokens than the model's max_length (docs/long-texts.md). For a model that
// wraps its inputs in [CLS] ... [SEP] (format v2), "max_length" below is its text budget, max_length - 2.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "attn/model.h"

namespace attn {

enum class LongTextPolicy {
  KeepStart,  // the first max_length tokens (the default)
  KeepEnd,    // the last max_length tokens
  KeepEnds,   // the first ceil(max_length/2) and the last floor(max_length/2) tokens
  Window,     // every token: windows of max_length tokens, `stride` apart, the last one ending on the text's end
};
enum class WindowCombine { Mean, Max };

struct LongTextOptions {
  LongTextPolicy policy = LongTextPolicy::KeepStart;
  size_t stride = 0;  // Window only: tokens between window starts, 1..max_length; 0 means max_length / 2
  WindowCombine combine = WindowCombine::Mean;
};

// One input after tokenization and the long-text policy.
struct LongTextEncoding {
  LongTextPolicy policy = LongTextPolicy::KeepStart;
  // What the output record describes: the tokens kept by a truncating policy (wrapped as the model reads them), or
  // every token of the text (not truncated, not wrapped) for Window.
  Encoding encoding;
  // Window over a long text only: the windows, each the model's text budget of tokens (ids only: their tokens are
  // those of `encoding` from the window's start, framed by [CLS] and [SEP] when the window is wrapped), and where
  // each starts in `encoding` (the text's tokens, never wrapped).
  std::vector<Encoding> windows;
  std::vector<size_t> window_starts;

  // True when the text had more tokens than max_length, so the policy changed something.
  bool applied = false;

  bool windowed() const { return !windows.empty(); }
  size_t num_windows() const { return windows.empty() ? 1 : windows.size(); }
  // The encodings to run through the model: `encoding` itself, or every window.
  std::vector<const Encoding*> parts() const;
};

// Tokenizes `text` and applies the policy. Throws what Tokenizer::encode throws (InvalidUtf8Error, InputError).
LongTextEncoding encode_long_text(const Model& model, std::string_view text, const LongTextOptions& options);

// The prediction for a whole text from its windows' predictions: the mean of their probabilities, or per label
// the maximum over windows, renormalised to sum to 1. Logits become the log of the combined probabilities.
Prediction combine_windows(const std::vector<const Prediction*>& windows, WindowCombine combine);

// One importance per token of a windowed text from one per token of each window (window w covers tokens
// starts[w] .. starts[w] + windows[w].size()): each token's mean over the windows holding it, renormalised to sum
// to 1.
std::vector<float> combine_window_importance(const std::vector<std::vector<float>>& windows,
                                             const std::vector<size_t>& starts, size_t num_tokens);

// The same for the windows of a windowed text as the model read them, one importance per id: the [CLS] and
// [SEP] of wrapped windows are left out, so the result has one importance per token of text.encoding.
std::vector<float> combine_window_importance(const LongTextEncoding& text,
                                             const std::vector<std::vector<float>>& per_window_ids);

// The tokens of window w of a windowed text as the model read them: those of text.encoding from the window's
// start, framed by the tokenizer's [CLS] and [SEP] when the window is wrapped.
std::vector<std::string> window_tokens(const LongTextEncoding& text, size_t w, const Tokenizer& tokenizer);

// The window starts for n tokens: 0, stride, 2*stride, ... and a last window ending exactly at n.
std::vector<size_t> window_starts(size_t num_tokens, size_t window, size_t stride);

const char* to_string(LongTextPolicy policy);  // "keep-start", "keep-end", "keep-ends", "window"
const char* to_string(WindowCombine combine);  // "mean", "max"

}  // namespace attn
