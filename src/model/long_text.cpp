#include "attn/long_text.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace attn {
namespace {

// The tokens [begin, end) of a whole-text encoding; num_tokens_before_truncation stays the whole text's.
// Without with_tokens only the ids are copied (windows: a long text's token strings are kept once).
void append_slice(const Encoding& whole, size_t begin, size_t end, Encoding& out, bool with_tokens = true) {
  const auto first = static_cast<std::ptrdiff_t>(begin), last = static_cast<std::ptrdiff_t>(end);
  out.ids.insert(out.ids.end(), whole.ids.begin() + first, whole.ids.begin() + last);
  if (with_tokens) out.tokens.insert(out.tokens.end(), whole.tokens.begin() + first, whole.tokens.begin() + last);
  out.num_tokens_before_truncation = whole.ids.size();
}

}  // namespace

std::vector<const Encoding*> LongTextEncoding::parts() const {
  std::vector<const Encoding*> out;
  if (windows.empty()) {
    out.push_back(&encoding);
  } else {
    for (const auto& window : windows) out.push_back(&window);
  }
  return out;
}

std::vector<size_t> window_starts(size_t num_tokens, size_t window, size_t stride) {
  if (window == 0 || stride == 0) throw std::invalid_argument("window_starts: window and stride must be > 0");
  std::vector<size_t> starts = {0};
  if (num_tokens <= window) return starts;
  while (starts.back() + window < num_tokens) starts.push_back(std::min(starts.back() + stride, num_tokens - window));
  return starts;
}

LongTextEncoding encode_long_text(const Model& model, std::string_view text, const LongTextOptions& options) {
  // The policies cut the text's own tokens to the budget; each cut or window is then wrapped on its own.
  const size_t max_length = model.text_budget();
  const Tokenizer& tokenizer = model.tokenizer();
  LongTextEncoding out;
  out.policy = options.policy;
  if (options.policy == LongTextPolicy::KeepStart) {
    out.encoding = model.encode(text);  // the tokenizer's own truncation, as classify without --long-text
    out.applied = out.encoding.truncated();
    return out;
  }
  Encoding whole = tokenizer.encode(text, std::numeric_limits<size_t>::max());
  const size_t n = whole.ids.size();
  out.applied = n > max_length;
  if (!out.applied) {
    out.encoding = std::move(whole);
    tokenizer.wrap(out.encoding);
    return out;
  }
  switch (options.policy) {
    case LongTextPolicy::KeepStart:
      break;
    case LongTextPolicy::KeepEnd:
      append_slice(whole, n - max_length, n, out.encoding);
      tokenizer.wrap(out.encoding);
      break;
    case LongTextPolicy::KeepEnds: {
      const size_t head = (max_length + 1) / 2;
      append_slice(whole, 0, head, out.encoding);
      append_slice(whole, n - (max_length - head), n, out.encoding);
      tokenizer.wrap(out.encoding);
      break;
    }
    case LongTextPolicy::Window: {
      const size_t stride = options.stride == 0 ? std::max<size_t>(1, max_length / 2) : options.stride;
      if (stride > max_length) {
        throw std::invalid_argument("encode_long_text: stride " + std::to_string(stride) + " exceeds max_length " +
                                    std::to_string(max_length));
      }
      out.window_starts = window_starts(n, max_length, stride);
      for (size_t start : out.window_starts) {
        Encoding window;
        append_slice(whole, start, start + max_length, window, false);
        tokenizer.wrap(window);
        out.windows.push_back(std::move(window));
      }
      out.encoding = std::move(whole);
      break;
    }
  }
  return out;
}

Prediction combine_windows(const std::vector<const Prediction*>& windows, WindowCombine combine) {
  if (windows.empty()) throw std::invalid_argument("combine_windows: no windows");
  const size_t num_labels = windows.front()->probabilities.size();
  std::vector<double> combined(num_labels, 0.0);
  for (const Prediction* p : windows) {
    for (size_t i = 0; i < num_labels; ++i) {
      const double value = p->probabilities[i];
      combined[i] = combine == WindowCombine::Mean ? combined[i] + value : std::max(combined[i], value);
    }
  }
  double total = 0.0;
  for (double value : combined) total += value;
  Prediction out;
  out.probabilities.resize(num_labels);
  out.logits.resize(num_labels);
  for (size_t i = 0; i < num_labels; ++i) {
    out.probabilities[i] = static_cast<float>(combined[i] / total);
    out.logits[i] = static_cast<float>(std::log(combined[i] / total));
  }
  out.label = static_cast<int>(std::max_element(out.probabilities.begin(), out.probabilities.end()) -
                               out.probabilities.begin());
  return out;
}

std::vector<std::string> window_tokens(const LongTextEncoding& text, size_t w, const Tokenizer& tokenizer) {
  const Encoding& window = text.windows.at(w);
  const auto first = text.encoding.tokens.begin() + static_cast<std::ptrdiff_t>(text.window_starts.at(w));
  std::vector<std::string> tokens;
  if (window.wrapped) tokens.push_back(tokenizer.config().cls_token);
  tokens.insert(tokens.end(), first, first + static_cast<std::ptrdiff_t>(window.num_text_tokens()));
  if (window.wrapped) tokens.push_back(tokenizer.config().sep_token);
  return tokens;
}

std::vector<float> combine_window_importance(const LongTextEncoding& text,
                                             const std::vector<std::vector<float>>& per_window_ids) {
  std::vector<std::vector<float>> windows = per_window_ids;
  for (size_t w = 0; w < windows.size() && w < text.windows.size(); ++w) {
    if (!text.windows[w].wrapped || windows[w].size() < 2) continue;
    windows[w].pop_back();                // [SEP]
    windows[w].erase(windows[w].begin());  // [CLS]
  }
  return combine_window_importance(windows, text.window_starts, text.encoding.ids.size());
}

std::vector<float> combine_window_importance(const std::vector<std::vector<float>>& windows,
                                             const std::vector<size_t>& starts, size_t num_tokens) {
  if (windows.size() != starts.size()) throw std::invalid_argument("combine_window_importance: one start per window");
  std::vector<double> sum(num_tokens, 0.0);
  std::vector<int> count(num_tokens, 0);
  for (size_t w = 0; w < windows.size(); ++w) {
    for (size_t i = 0; i < windows[w].size(); ++i) {
      const size_t token = starts[w] + i;
      if (token >= num_tokens) throw std::invalid_argument("combine_window_importance: window past the text's end");
      sum[token] += windows[w][i];
      ++count[token];
    }
  }
  double total = 0.0;
  for (size_t t = 0; t < num_tokens; ++t) {
    if (count[t] > 0) sum[t] /= count[t];
    total += sum[t];
  }
  std::vector<float> out(num_tokens, 0.0f);
  if (total > 0.0) {
    for (size_t t = 0; t < num_tokens; ++t) out[t] = static_cast<float>(sum[t] / total);
  }
  return out;
}

const char* to_string(LongTextPolicy policy) {
  switch (policy) {
    case LongTextPolicy::KeepStart: return "keep-start";
    case LongTextPolicy::KeepEnd: return "keep-end";
    case LongTextPolicy::KeepEnds: return "keep-ends";
    case LongTextPolicy::Window: return "window";
  }
  return "?";
}

const char* to_string(WindowCombine combine) { return combine == WindowCombine::Mean ? "mean" : "max"; }

}  // namespace attn
