#pragma once
// Strings from a model file or a data file (labels, tokens, eval labels) and paths, made safe to show on a
// terminal or in a TSV field.
#include <string>
#include <string_view>

namespace attn::app {

// The text with every character that would act instead of show written as an escape: C0 controls and DEL
// (\t, \n, \r, else \x1b), C1 controls, the line and paragraph separators and the bidirectional controls that
// reorder what follows (\u{202e}); bytes that are not UTF-8 as \xff. Everything else is left as it is, so an
// ordinary label or token shows unchanged. With keep_line_breaks, "\n" stays (a message of several lines).
std::string printable(std::string_view text, bool keep_line_breaks = false);

}  // namespace attn::app
