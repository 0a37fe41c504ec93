#pragma once
// Options that several subcommands share: what to do with long texts, and when to use colour.
#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

#include "attn/long_text.h"
#include "attn/model.h"
#include "table_input.h"

namespace attn::app {

// An option taking one of a few words (shown in --help as WHEN:{auto,always,never}=auto) that sets an enum.
template <typename Enum>
CLI::Option* add_choice(CLI::App& command, const std::string& name, Enum& target,
                        std::vector<std::pair<std::string, Enum>> choices, const std::string& help,
                        const std::string& type_name) {
  std::vector<std::string> words;
  std::string default_word;
  for (const auto& [word, value] : choices) {
    words.push_back(word);
    if (value == target) default_word = word;
  }
  return command
      .add_option_function<std::string>(
          name,
          [&target, choices](const std::string& word) {
            for (const auto& [w, value] : choices) {
              if (w == word) target = value;
            }
          },
          help)
      ->check(CLI::IsMember(words))
      ->type_name(type_name)
      ->default_str(default_word);
}

// --long-text, --stride, --window-combine.
void add_long_text_options(CLI::App& command, LongTextOptions& options);
// After the model is loaded: --stride and --window-combine need --long-text window, and the stride at most
// the model's text budget (max_length, less [CLS] and [SEP] for a model that wraps). Throws CLI::ValidationError
// naming the option.
void check_long_text_options(const CLI::App& command, const LongTextOptions& options, const Model& model);

// "-" in an output option (-o, --attention, --html) means stdout, as it means stdin in an input option.
bool names_stdout(const std::string& output_option);
// The path to write an output option to: /dev/stdout for "-" (written in place, as a redirection would be).
std::string output_path(const std::string& output_option);

// --input-format, --header, --text-column, --id-column (and with `keep`, --keep): how files and stdin are read.
void add_table_options(CLI::App& command, TableOptions& options, bool keep);
// The column options need a structured --input-format, and without --header name columns by number. Throws
// CLI::ValidationError naming the option.
void check_table_options(const CLI::App& command, const TableOptions& options);

// A file named on the command line, with the option that named it ("--output", "the model", "-i").
struct NamedFile {
  std::string option;
  std::string path;
};
// Refuses an output that would write over another output, the model or an input, under any name (a symbolic or
// hard link, /dev/stdout redirected to it): the run would destroy what it reads, or keep only one output.
// Empty paths are skipped. Throws CLI::ValidationError naming the output's option.
void check_outputs_distinct(const std::vector<NamedFile>& outputs, const std::vector<NamedFile>& reads);

enum class ColorMode { Auto, Always, Never };
void add_color_option(CLI::App& command, ColorMode& mode);
// Auto: the descriptor is a terminal, $NO_COLOR is unset or empty (https://no-color.org) and $TERM is not "dumb".
bool use_color(ColorMode mode, int fd);

}  // namespace attn::app
