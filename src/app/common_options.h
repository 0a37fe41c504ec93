#pragma once
// Options that several subcommands share: what to do with long texts, and when to use colour.
#include <CLI/CLI.hpp>

#include "attn/long_text.h"
#include "attn/model.h"

namespace attn::app {

// --long-text, --stride, --window-combine.
void add_long_text_options(CLI::App& command, LongTextOptions& options);
// After the model is loaded: --stride and --window-combine need --long-text window, and the stride at most
// max_length. Throws CLI::ValidationError naming the option.
void check_long_text_options(const CLI::App& command, const LongTextOptions& options, const ModelConfig& config);

enum class ColorMode { Auto, Always, Never };
void add_color_option(CLI::App& command, ColorMode& mode);
// Auto: the descriptor is a terminal, $NO_COLOR is unset or empty (https://no-color.org) and $TERM is not "dumb".
bool use_color(ColorMode mode, int fd);

}  // namespace attn::app
