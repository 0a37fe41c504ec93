#include "suggest.h"

#include <algorithm>

namespace attn::app {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Every long option name ("--top-k") of `command`.
std::vector<std::string> long_options(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const auto& name : option->get_lnames()) names.push_back("--" + name);
  }
  return names;
}

}  // namespace

std::string closest_word(const std::string& word, const std::vector<std::string>& candidates) {
  // A typo is a letter or two (a third in a long word); anything further is another word.
  const size_t tolerance = std::max<size_t>(2, word.size() / 4);
  std::string best;
  size_t best_distance = tolerance + 1;
  for (const auto& candidate : candidates) {
    const size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

std::string did_you_mean(const CLI::App& app) {
  const std::vector<CLI::App*> chosen = app.get_subcommands();
  const CLI::App* command = chosen.empty() ? nullptr : chosen.front();
  std::vector<std::string> options = long_options(app);
  if (command != nullptr) {
    const std::vector<std::string> own = long_options(*command);
    options.insert(options.end(), own.begin(), own.end());
  }
  const std::vector<std::string> subcommands = subcommand_names(app);

  std::string out;
  for (const std::string& word : app.remaining(true)) {
    if (word.rfind("--", 0) == 0) {
      const std::string guess = closest_word(word.substr(0, word.find('=')), options);
      if (!guess.empty()) out += "attn: unknown option " + word + "; did you mean " + guess + "?\n";
    } else if (command == nullptr && word.rfind('-', 0) != 0) {
      // The first word that is not an option names the subcommand; the words after it are its arguments.
      const std::string guess = closest_word(word, subcommands);
      out += "attn: unknown subcommand " + word +
             (guess.empty() ? "; attn help lists them" : "; did you mean " + guess + "?") + "\n";
      break;
    }
  }
  return out;
}

}  // namespace attn::app
