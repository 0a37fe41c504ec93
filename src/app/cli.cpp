#include "cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "attn/errors.h"
#include "attn/model_cache.h"
#include "attn/ops.h"
#include "batch_pipeline.h"
#include "exit_codes.h"
#include "model_path.h"

namespace attn::app {
namespace {

const std::map<std::string, OutputFormat> kFormats = {
    {"text", OutputFormat::Text}, {"json", OutputFormat::Json}, {"jsonl", OutputFormat::Jsonl}, {"tsv", OutputFormat::Tsv}};

constexpr const char* kClassifyExamples =
    "Examples:\n"
    "  attn classify \"a gripping, beautifully acted film\"\n"
    "  printf 'great\\nawful\\n' | attn classify --format jsonl\n"
    "  attn classify --input reviews.txt --format tsv --output results.tsv\n"
    "  attn classify \"not bad at all\" --attention attention.json\n"
    "\n"
    "Each input line gives one output record, in input order; an empty or invalid line gets an error record\n"
    "(and the exit code 5) instead of being skipped. Inputs longer than the model's maximum length are\n"
    "truncated to their first tokens, and the record says so.\n";

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("attn");
  logger->set_pattern("attn: %l: %v");
  logger->set_level(verbosity >= 2 ? spdlog::level::debug
                                   : verbosity == 1 ? spdlog::level::info : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

Model load_model(const Options& options, const char* argv0) {
  const std::string path = resolve_model_path(options.model, argv0);
  const auto start = std::chrono::steady_clock::now();
  CacheOutcome cache;
  Model model = load_model_cached(path, options.no_cache ? std::string() : default_cache_dir(), &cache);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("loaded {} ({} parameters) in {:.1f} ms{}", path, model.parameter_count(), ms,
               cache.hit ? " from the cache " + cache.entry : "");
  if (!cache.problem.empty()) spdlog::info("model cache not written: {}", cache.problem);
  return model;
}

std::vector<InputSource> input_sources(const ClassifyOptions& o) {
  std::vector<InputSource> sources;
  for (const auto& text : o.texts) {
    if (text == "-") sources.push_back({InputSource::Kind::Stdin, "-"});
    else sources.push_back({InputSource::Kind::Argument, text});
  }
  for (const auto& file : o.input_files) {
    if (file == "-") sources.push_back({InputSource::Kind::Stdin, "-"});
    else sources.push_back({InputSource::Kind::File, file});
  }
  if (sources.empty()) sources.push_back({InputSource::Kind::Stdin, "-"});
  return sources;
}

int run_classify(const Options& options, const char* argv0) {
  const ClassifyOptions& o = options.classify;
  const Model model = load_model(options, argv0);
  std::vector<InputSource> sources = input_sources(o);
  bool interactive = false;
  for (const auto& s : sources) {
    if (s.kind == InputSource::Kind::Stdin && isatty(STDIN_FILENO)) {
      std::fprintf(stderr, "attn: reading one text per line from the terminal (Ctrl-D to finish)\n");
      interactive = true;
      break;
    }
  }
  InputReader reader(std::move(sources));

  std::unique_ptr<AtomicFile> output_file;
  OutputSink stdout_sink(STDOUT_FILENO, "stdout");
  OutputSink* sink = &stdout_sink;
  if (!o.output_file.empty()) {
    output_file = std::make_unique<AtomicFile>(o.output_file);
    sink = &output_file->sink();
  }
  std::unique_ptr<AttentionDump> dump;
  if (!o.attention_file.empty()) dump = std::make_unique<AttentionDump>(o.attention_file, model);

  RecordWriter writer(*sink, o.format, model, o.top_k);
  // Someone typing at a terminal wants each answer as soon as the line is entered.
  const size_t batch_size = interactive ? 1 : o.batch_size;
  const PipelineResult result = run_pipeline(model, reader, writer, dump.get(), batch_size, o.threads);
  writer.finish();
  if (output_file) output_file->commit();
  if (dump) dump->commit();
  spdlog::info("{} inputs, {} errors", result.inputs, result.errors);
  if (reader.had_io_error()) return kExitIo;
  return result.errors > 0 ? kExitInputErrors : kExitOk;
}

int run_info(const Options& options, const char* argv0) {
  const Model model = load_model(options, argv0);
  const ModelConfig& c = model.config();
  nlohmann::json info = {
      {"model", model.source()},
      {"format_version", kFormatVersion},
      {"parameters", model.parameter_count()},
      {"vocab_size", c.vocab_size},
      {"max_length", c.max_length},
      {"d_model", c.d_model},
      {"num_heads", c.num_heads},
      {"num_layers", c.num_layers},
      {"ffn_dim", c.ffn_dim},
      {"layer_norm_eps", json_float(c.layer_norm_eps)},
      {"norm_placement", to_string(c.norm_placement)},
      {"activation", to_string(c.activation)},
      {"positional_encoding", to_string(c.positional_encoding)},
      {"attention_score", to_string(c.attention_score)},
      {"causal", c.causal},
      {"pooling", to_string(c.pooling)},
      {"labels", model.labels()},
  };
  std::string text;
  if (options.info.format == OutputFormat::Text) {
    for (const auto& [key, value] : info.items()) {
      text += key + std::string(key.size() < 20 ? 20 - key.size() : 1, ' ') +
              (value.is_string() ? value.get<std::string>() : value.dump()) + "\n";
    }
  } else {
    text = info.dump(options.info.format == OutputFormat::Jsonl ? -1 : 2) + "\n";
  }
  OutputSink out(STDOUT_FILENO, "stdout");
  out.append(text);
  out.flush();
  return kExitOk;
}

}  // namespace

void declare_cli(CLI::App& app, Options& options) {
  app.set_version_flag("--version", std::string("attn ") + ATTN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(kExitCodesHelp);
  app.add_option("-m,--model", options.model,
                 "Model file (format v1 JSON) or the name of a bundled model; default: $ATTN_MODEL, else the "
                 "bundled sst2-sentiment model");
  app.add_flag("-v,--verbose", options.verbosity, "Log progress on stderr (-vv for debug)");
  app.add_flag("--no-cache", options.no_cache,
               "Parse the model JSON every time instead of using the binary copy kept in $ATTN_CACHE_DIR "
               "(default $XDG_CACHE_HOME/attn or ~/.cache/attn)");

  auto* classify = app.add_subcommand("classify", "Classify texts given as arguments, in files, or on stdin");
  auto& c = options.classify;
  classify->add_option("texts", c.texts, "Texts to classify; none, or -, reads one text per line from stdin");
  classify->add_option("-i,--input", c.input_files, "Read one text per line from FILE (repeatable; - for stdin)")
      ->type_name("FILE");
  classify
      ->add_option_function<std::string>(
          "-f,--format", [&c](const std::string& name) { c.format = kFormats.at(name); }, "Output format")
      ->check(CLI::IsMember({"text", "json", "jsonl", "tsv"}))
      ->default_str("text");
  classify->add_option("-k,--top-k", c.top_k, "Show the K most likely labels (default: all)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  classify->add_option("--attention", c.attention_file,
                       "Write every input's tokens, prediction and attention weights [layer][head][query][key] "
                       "to FILE as JSON (written whole or not at all)")
      ->type_name("FILE");
  classify->add_option("-o,--output", c.output_file, "Write the records to FILE instead of stdout (whole or not at all)")
      ->type_name("FILE");
  classify->add_option("--batch-size", c.batch_size, "Inputs classified together")
      ->check(CLI::Range(size_t{1}, size_t{65536}))
      ->default_val(32);
  classify->add_option("-t,--threads", c.threads, "Worker threads (default: the number of cores)")
      ->check(CLI::Range(size_t{1}, size_t{256}));
  classify->footer(std::string(kClassifyExamples) + "\n" + kExitCodesHelp);

  auto* info = app.add_subcommand("info", "Print the model's format version, dimensions, parameters and labels");
  info->add_option_function<std::string>(
          "-f,--format", [&options](const std::string& name) { options.info.format = kFormats.at(name); },
          "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
}

int run_command(const CLI::App& app, const Options& options, const char* argv0) {
  setup_logging(options.verbosity);
  install_signal_handlers();
  // attn parallelises over batches itself; BLAS threads inside each worker would only oversubscribe the cores.
  ops::set_blas_threads(1);
  if (app.got_subcommand("classify")) return run_classify(options, argv0);
  if (app.got_subcommand("info")) return run_info(options, argv0);
  return kExitUsage;
}

}  // namespace attn::app
