#include "terminal_view.h"

#include "output_helpers.h"
#include "printable.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace attn::app {
namespace {

// Light yellow to red in the xterm 256-colour cube, for importance levels 1..8 (level 0 is left unshaded).
constexpr int kPalette[] = {230, 229, 228, 221, 214, 208, 202, 196};
constexpr int kLevels = 8;

std::string background(double relative, TerminalColors colors) {
  const int level = static_cast<int>(std::lround(relative * kLevels));
  if (level <= 0) return "";
  char buffer[48];
  if (colors == TerminalColors::TrueColor) {
    const Rgb c = heat_color(relative);
    std::snprintf(buffer, sizeof buffer, "\033[38;2;0;0;0;48;2;%d;%d;%dm", c.r, c.g, c.b);
  } else {
    std::snprintf(buffer, sizeof buffer, "\033[38;5;16;48;5;%dm", kPalette[std::min(level, kLevels) - 1]);
  }
  return buffer;
}

constexpr const char* kReset = "\033[0m";

size_t code_points(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

TerminalColors detect_terminal_colors() {
  const char* colorterm = std::getenv("COLORTERM");
  if (colorterm != nullptr && (std::strcmp(colorterm, "truecolor") == 0 || std::strcmp(colorterm, "24bit") == 0)) {
    return TerminalColors::TrueColor;
  }
  return TerminalColors::Palette256;
}

std::string render_shaded_tokens(const std::vector<std::string>& tokens, const std::vector<float>& importance,
                                 const std::string& continuation_prefix, TerminalColors colors) {
  const std::vector<double> relative = relative_importance(importance);
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string piece = printable(tokens[i]);
    const bool continuation = !continuation_prefix.empty() && i > 0 && piece.size() > continuation_prefix.size() &&
                              piece.compare(0, continuation_prefix.size(), continuation_prefix) == 0;
    if (continuation) piece.erase(0, continuation_prefix.size());
    else if (i > 0) out += ' ';
    const std::string shade = background(relative[i], colors);
    out += shade.empty() ? piece : shade + piece + kReset;
  }
  out += "\n\nimportance (attention rollout): low ";
  for (int level = 1; level <= kLevels; ++level) out += background(static_cast<double>(level) / kLevels, colors) + "  " + kReset;
  out += " high\n";
  return out;
}

std::string render_token_table(const std::vector<std::string>& tokens, const std::vector<float>& importance) {
  size_t width = 0;
  std::vector<std::string> shown;
  for (const auto& token : tokens) shown.push_back(printable(token));
  for (const auto& token : shown) width = std::max(width, code_points(token));
  std::string out;
  for (size_t i = 0; i < shown.size(); ++i) {
    out += shown[i] + std::string(width - code_points(shown[i]) + 2, ' ') + format_fixed(importance[i], 3) + "\n";
  }
  return out;
}

}  // namespace attn::app
