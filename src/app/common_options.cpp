#include "common_options.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "output_target.h"

namespace attn::app {

void add_long_text_options(CLI::App& command, LongTextOptions& options) {
  add_choice(command, "--long-text", options.policy,
             {{"keep-start", LongTextPolicy::KeepStart},
              {"keep-end", LongTextPolicy::KeepEnd},
              {"keep-ends", LongTextPolicy::KeepEnds},
              {"window", LongTextPolicy::Window}},
             "What to do with a text longer than the model's max_length: keep-start (its first tokens), "
             "keep-end (its last), keep-ends (half from each end), window (slide a window over all of it and "
             "combine the windows' probabilities)",
             "POLICY");
  command
      .add_option("--stride", options.stride,
                  "With --long-text window: tokens from one window's start to the next (1 to max_length; "
                  "default: max_length / 2)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->type_name("N");
  add_choice(command, "--window-combine", options.combine,
             {{"mean", WindowCombine::Mean}, {"max", WindowCombine::Max}},
             "With --long-text window: the mean of the windows' probabilities, or per label their maximum "
             "(renormalised)",
             "HOW");
}

void check_long_text_options(const CLI::App& command, const LongTextOptions& options, const ModelConfig& config) {
  if (options.policy != LongTextPolicy::Window) {
    for (const char* name : {"--stride", "--window-combine"}) {
      if (command.count(name) > 0) throw CLI::ValidationError(name, "needs --long-text window");
    }
    return;
  }
  if (options.stride > static_cast<size_t>(config.max_length)) {
    throw CLI::ValidationError("--stride", std::to_string(options.stride) + " is more than the model's max_length (" +
                                               std::to_string(config.max_length) +
                                               "), so some tokens would be in no window");
  }
}

void check_outputs_distinct(const std::vector<NamedFile>& outputs, const std::vector<NamedFile>& reads) {
  std::vector<std::pair<const NamedFile*, FileIdentity>> seen;
  for (const NamedFile& read : reads) {
    FileIdentity identity;
    if (!read.path.empty() && file_identity(read.path, identity)) seen.emplace_back(&read, identity);
  }
  for (const NamedFile& output : outputs) {
    FileIdentity identity;
    if (output.path.empty() || !output_identity(output.path, identity)) continue;
    for (const auto& [other, other_identity] : seen) {
      if (identity == other_identity) {
        throw CLI::ValidationError(output.option, output.path + " is the same file as " + other->option +
                                                      " (" + other->path + "); it would be overwritten");
      }
    }
    seen.emplace_back(&output, identity);
  }
}

void add_color_option(CLI::App& command, ColorMode& mode) {
  add_choice(command, "--color", mode,
             {{"auto", ColorMode::Auto}, {"always", ColorMode::Always}, {"never", ColorMode::Never}},
             "Colour the output: auto (when writing to a terminal, $NO_COLOR unset and $TERM not dumb), always or "
             "never",
             "WHEN");
}

bool use_color(ColorMode mode, int fd) {
  if (mode != ColorMode::Auto) return mode == ColorMode::Always;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(fd) != 0;
}

}  // namespace attn::app
