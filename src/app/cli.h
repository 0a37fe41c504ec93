#pragma once
// The command line: global options, and one file per subcommand (command_*.cpp), each registering itself with
// add_*_command. A subcommand's callback runs after parsing and stores its exit code in Context::exit_code.
#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "attn/model.h"
#include "outputs.h"

namespace attn::app {

struct Context {
  std::string model;  // --model
  int verbosity = 0;  // -v count
  bool no_cache = false;
  const char* argv0 = "attn";
  int exit_code = 0;
};

// Declares the global options and every subcommand.
void declare_cli(CLI::App& app, Context& context);

// Everything a subcommand does before its work: logging, BLAS threads (main() installed the signal handlers).
void begin_command(const Context& context);

// Resolves --model / $ATTN_MODEL / the bundled model and loads it (through the binary cache unless --no-cache).
const Model& load_model(const Context& context);

// The model load_model gave; it lives until the process exits.
extern const Model* g_loaded_model;

void add_classify_command(CLI::App& app, Context& context);
void add_info_command(CLI::App& app, Context& context);
void add_explain_command(CLI::App& app, Context& context);
void add_eval_command(CLI::App& app, Context& context);
void add_help_command(CLI::App& app, Context& context);

}  // namespace attn::app
