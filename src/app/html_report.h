#pragma once
// `attn explain --html`: one self-contained HTML page (inline CSS and JS, nothing fetched) showing the
// prediction, the tokens shaded by importance, and a heatmap per layer and head with a selector.
#include <string>
#include <string_view>
#include <vector>

#include "attn/model.h"

namespace attn::app {

struct ExplainReport {
  std::string text;                   // the input as given
  std::string model;                  // the model's source, for the page's footer
  std::vector<std::string> labels;
  std::vector<float> probabilities;   // [num_labels]
  int label = 0;
  std::string note;                   // how a long text was handled, or empty
  std::vector<std::string> tokens;    // every token the prediction saw
  std::vector<float> importance;      // [tokens], sums to 1
  std::string continuation_prefix;    // "##": such pieces are drawn joined to the piece before
  struct Window {
    size_t start = 0;                 // the window's first token in `tokens`
    const AttentionMaps* maps = nullptr;
    std::vector<std::string> tokens;  // the window's own tokens when they are not tokens[start ..] (a window
                                      // wrapped in [CLS] ... [SEP]), else empty
  };
  std::vector<Window> windows;        // one, or one per window of a long text
};

std::string render_html_report(const ExplainReport& report);

// Text made safe for an HTML text node or a quoted attribute: & < > " ' escaped.
std::string html_escape(std::string_view text);

}  // namespace attn::app
