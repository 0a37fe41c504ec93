// attn classify: texts from arguments, files or stdin; one record per input line, in order.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

#include "batch_pipeline.h"
#include "cli.h"
#include "exit_codes.h"
#include "file_io.h"

namespace attn::app {
namespace {

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

int run_classify(const Context& context, const ClassifyOptions& o) {
  const Model model = load_model(context);
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

}  // namespace

void add_classify_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<ClassifyOptions>();
  auto* classify = app.add_subcommand("classify", "Classify texts given as arguments, in files, or on stdin");
  classify->add_option("texts", o->texts, "Texts to classify; none, or -, reads one text per line from stdin");
  classify->add_option("-i,--input", o->input_files, "Read one text per line from FILE (repeatable; - for stdin)")
      ->type_name("FILE");
  classify
      ->add_option_function<std::string>(
          "-f,--format", [o](const std::string& name) { o->format = kFormatNames.at(name); }, "Output format")
      ->check(CLI::IsMember({"text", "json", "jsonl", "tsv"}))
      ->default_str("text");
  classify->add_option("-k,--top-k", o->top_k, "Show the K most likely labels (default: all)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  classify
      ->add_option("--attention", o->attention_file,
                   "Write every input's tokens, prediction and attention weights [layer][head][query][key] "
                   "to FILE as JSON (written whole or not at all)")
      ->type_name("FILE");
  classify
      ->add_option("-o,--output", o->output_file, "Write the records to FILE instead of stdout (whole or not at all)")
      ->type_name("FILE");
  classify->add_option("--batch-size", o->batch_size, "Inputs classified together")
      ->check(CLI::Range(size_t{1}, size_t{65536}))
      ->default_val(32);
  classify->add_option("-t,--threads", o->threads, "Worker threads (default: the number of cores)")
      ->check(CLI::Range(size_t{1}, size_t{256}));
  classify->footer(std::string(kClassifyExamples) + "\n" + kExitCodesHelp);
  classify->callback([&context, o] {
    begin_command(context);
    context.exit_code = run_classify(context, *o);
  });
}

}  // namespace attn::app
