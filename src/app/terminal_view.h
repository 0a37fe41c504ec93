#pragma once
// Tokens shown with their importance in a terminal: shaded backgrounds for people, numbers for pipes.
#include <string>
#include <vector>

namespace attn::app {

enum class TerminalColors { Palette256, TrueColor };

// $COLORTERM says "truecolor" or "24bit": 24-bit colours; otherwise the 256-colour palette.
TerminalColors detect_terminal_colors();

// The tokens on one line, WordPiece continuations ("##ing") joined to the piece before, each piece's background
// shaded by its relative_importance; then a one-line legend.
std::string render_shaded_tokens(const std::vector<std::string>& tokens, const std::vector<float>& importance,
                                 const std::string& continuation_prefix, TerminalColors colors);

// One token per line, its importance in a column: "movie   0.201".
std::string render_token_table(const std::vector<std::string>& tokens, const std::vector<float>& importance);

}  // namespace attn::app
