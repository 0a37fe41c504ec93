#include "cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "attn/model_cache.h"
#include "attn/ops.h"
#include "exit_codes.h"
#include "file_io.h"
#include "model_path.h"
#include "printable.h"

namespace attn::app {

void begin_command(const Context& context) {
  auto logger = spdlog::stderr_color_mt("attn");
  logger->set_pattern("attn: %l: %v");
  logger->set_level(context.verbosity >= 2   ? spdlog::level::debug
                    : context.verbosity == 1 ? spdlog::level::info
                                             : spdlog::level::warn);
  spdlog::set_default_logger(logger);
  // attn parallelises over batches itself; BLAS threads inside each worker would only oversubscribe the cores.
  ops::set_blas_threads(1);
}

const Model* g_loaded_model = nullptr;

const Model& load_model(const Context& context) {
  const std::string path = resolve_model_path(context.model, context.argv0);
  const auto start = std::chrono::steady_clock::now();
  CacheOutcome cache;
  Model model = load_model_cached(path, context.no_cache ? std::string() : default_cache_dir(), &cache);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("loaded {} ({} parameters) in {:.1f} ms{}", printable(path), model.parameter_count(), ms,
               cache.hit ? " from the cache " + printable(cache.entry) : "");
  if (!cache.problem.empty()) spdlog::info("model cache not written: {}", printable(cache.problem));
  if (!cache.refused.empty()) spdlog::warn("{}", printable(cache.refused));
  // The model lives until the process exits and is never destroyed: freeing its vocabulary and weights piece by
  // piece would cost a one-sentence run more than the exit does. Held by a global with external linkage, so that the store is kept
  // and leak checkers see the model as reachable (a function-local static was optimised away at -O1).
  g_loaded_model = new Model(std::move(model));
  return *g_loaded_model;
}

void declare_cli(CLI::App& app, Context& context) {
  app.set_version_flag("--version", std::string("attn ") + ATTN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Examples:\n"
      "  attn classify \"a gripping, beautifully acted film\"\n"
      "  attn classify -i reviews.txt -f jsonl -o results.jsonl\n"
      "  attn explain \"not bad at all\" --html report.html\n"
      "  attn info --format json\n"
      "  attn help SUBCOMMAND       (options and examples of each subcommand; also man attn)\n\n" +
      std::string(kExitCodesHelp));
  app.add_option("-m,--model", context.model,
                 "Model file (format v1 JSON) or the name of a bundled model; default: $ATTN_MODEL, else the "
                 "bundled sst2-sentiment model");
  app.add_flag("-v,--verbose", context.verbosity, "Log progress on stderr (-vv for debug)");
  app.add_flag("--no-cache", context.no_cache,
               "Parse the model JSON every time instead of using the binary copy kept in $ATTN_CACHE_DIR "
               "(default $XDG_CACHE_HOME/attn or ~/.cache/attn)");
  add_classify_command(app, context);
  add_info_command(app, context);
  add_explain_command(app, context);
  add_eval_command(app, context);
  add_help_command(app, context);
}

}  // namespace attn::app
