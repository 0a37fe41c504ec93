#pragma once
// What several outputs show alike, written once: numbers with fixed decimals, labels ranked by probability,
// the importance colour ramp, and attention maps as nested JSON arrays. An output format (outputs.cpp,
// attention_dump.cpp, terminal_view.cpp, html_report.cpp, the eval report) builds on these.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/model.h"

namespace attn::app {

// printf's "%.*f": value with `digits` decimals.
std::string format_fixed(double value, int digits);

// Label indices sorted by probability, most likely first (the first label first on ties), at most top_k of them
// (0: all).
std::vector<int> ranked_labels(const std::vector<float>& probabilities, size_t top_k);

// The importance ramp of the terminal and the HTML report: pale yellow (255,247,188) at 0 to red (215,48,39) at 1.
struct Rgb {
  int r, g, b;
};
Rgb heat_color(double t);

// Each importance placed between the least (0) and the most (1) important token's, so that the shades spread
// over the range even when rollout importances are all close to 1/n. All 0 when they are all equal.
std::vector<double> relative_importance(const std::vector<float>& importance);

// The selected layers and heads of one input's attention as [layer][head][query][key], each weight through
// value(weight) (a rounding or the shortest float form).
template <typename Value>
nlohmann::json attention_maps_json(const AttentionMaps& maps, const std::vector<int>& layers,
                                   const std::vector<int>& heads, Value value) {
  nlohmann::json out = nlohmann::json::array();
  for (int l : layers) {
    nlohmann::json layer = nlohmann::json::array();
    for (int h : heads) {
      nlohmann::json rows = nlohmann::json::array();
      for (int q = 0; q < maps.length; ++q) {
        nlohmann::json row = nlohmann::json::array();
        for (int k = 0; k < maps.length; ++k) row.push_back(value(maps.at(l, h, q, k)));
        rows.push_back(std::move(row));
      }
      layer.push_back(std::move(rows));
    }
    out.push_back(std::move(layer));
  }
  return out;
}

// JSON text of a value; a string that is not UTF-8 (a path, a line of text) has its bad bytes replaced by
// U+FFFD instead of failing the whole output.
template <typename Json>
std::string dump_json(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// 0, 1, ..., count - 1: every layer or every head.
std::vector<int> all_indices(int count);

}  // namespace attn::app
