#pragma once
// "Did you mean": the nearest subcommand or option to a word the parser did not know.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace attn::app {

// The candidate closest to `word` by edit distance, if it is close enough to be a typo; "" otherwise.
std::string closest_word(const std::string& word, const std::vector<std::string>& candidates);

// The names of the app's subcommands ("classify", "info", ...), in the order they were declared.
std::vector<std::string> subcommand_names(const CLI::App& app);

// After a failed parse: "did you mean ...?" lines for the words it left over (a mistyped subcommand, an unknown
// option of the subcommand given), or "" when none is near anything known.
std::string did_you_mean(const CLI::App& app);

}  // namespace attn::app
