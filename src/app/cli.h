#pragma once
#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "outputs.h"

namespace attn::app {

struct ClassifyOptions {
  std::vector<std::string> texts;
  std::vector<std::string> input_files;
  OutputFormat format = OutputFormat::Text;
  size_t top_k = 0;  // 0: every label
  std::string attention_file;
  std::string output_file;
  size_t batch_size = 32;
  size_t threads = std::max(1u, std::thread::hardware_concurrency());
};

struct InfoOptions {
  OutputFormat format = OutputFormat::Text;
};

struct Options {
  std::string model;
  int verbosity = 0;
  bool no_cache = false;
  ClassifyOptions classify;
  InfoOptions info;
};

// Declares every subcommand and option on `app`, storing into `options`.
void declare_cli(CLI::App& app, Options& options);

// Runs the chosen subcommand after parsing; returns the exit code. Throws attn errors for main() to map.
int run_command(const CLI::App& app, const Options& options, const char* argv0);

}  // namespace attn::app
