// attn classify: texts from arguments, files or stdin; one record per input line, in order.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

#include "attention_dump.h"
#include "batch_pipeline.h"
#include "cli.h"
#include "common_options.h"
#include "exit_codes.h"
#include "file_io.h"
#include "progress.h"

namespace attn::app {
namespace {

struct ClassifyOptions {
  std::vector<std::string> texts;
  std::vector<std::string> input_files;
  OutputFormat format = OutputFormat::Text;
  RecordLayout layout;  // --top-k, --threshold
  TableOptions table;   // --input-format and its columns
  StdinNaming stdin_naming;  // --stdin-name, --stdin-first-line
  std::string attention_file;
  DumpOptions dump;
  LongTextOptions long_text;
  std::string output_file;
  size_t batch_size = kDefaultBatchSize;
  size_t threads = std::max(1u, std::thread::hardware_concurrency());
  ProgressMode progress = ProgressMode::Auto;
};

constexpr const char* kClassifyExamples =
    "Examples:\n"
    "  attn classify \"a gripping, beautifully acted film\"\n"
    "  printf 'great\\nawful\\n' | attn classify --format jsonl\n"
    "  attn classify --input reviews.txt --format tsv --output results.tsv\n"
    "  attn classify \"not bad at all\" --attention attention.json\n"
    "  attn classify -i reviews.txt --attention att.json --layers 0 --head-aggregate mean --rollout --precision 3\n"
    "  attn classify -i long-reviews.txt --long-text window --stride 16 --window-combine mean -f jsonl\n"
    "  attn classify -i dev.tsv --input-format tsv --header --text-column sentence --keep label -f jsonl\n"
    "  attn classify -i posts.jsonl --input-format jsonl --id-column id --threshold 0.9 -f tsv\n"
    "\n"
    "Each input line gives one output record, in input order; an empty or invalid line gets an error record\n"
    "(and the exit code 5) instead of being skipped. Inputs longer than the model's maximum length keep their\n"
    "first tokens unless --long-text says otherwise, and the record says what was done.\n"
    "With stderr on a terminal (and the records going elsewhere: -o, a pipe), a progress line shows the lines\n"
    "done, the rate and, for files, the percentage and the time left.\n";

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

int run_classify(const Context& context, const CLI::App& command, const ClassifyOptions& o) {
  const Model& model = load_model(context);
  validate_dump_options(o.dump, model.config());
  check_long_text_options(command, o.long_text, model);
  check_table_options(command, o.table);
  std::vector<NamedFile> reads = {{"the model", model.source()}};
  for (const auto& file : o.input_files) reads.push_back({"-i", file});
  // "-" is checked as the /dev/stdout it is written to, so that `-o - > input` is refused like `-o /dev/stdout`.
  check_outputs_distinct({{"--output", output_path(o.output_file)}, {"--attention", output_path(o.attention_file)}},
                         reads);
  std::vector<InputSource> sources = input_sources(o);
  bool interactive = false;
  for (const auto& s : sources) {
    if (s.kind == InputSource::Kind::Stdin && isatty(STDIN_FILENO)) {
      std::fprintf(stderr, "attn: reading one text per line from the terminal (Ctrl-D to finish)\n");
      interactive = true;
      break;
    }
  }
  const bool records_to_stdout = o.output_file.empty() || names_stdout(o.output_file);
  if (records_to_stdout && names_stdout(o.attention_file)) {
    throw CLI::ValidationError("--attention", "- writes the dump to stdout, where the records go too; give -o FILE");
  }
  const bool records_to_terminal = records_to_stdout && isatty(STDOUT_FILENO);
  const bool show_progress = progress_wanted(o.progress, interactive, records_to_terminal);
  const size_t total_bytes = show_progress ? total_input_bytes(sources) : 0;
  InputReader reader(std::move(sources), o.table, o.stdin_naming);

  std::unique_ptr<AtomicFile> output_file;
  OutputSink stdout_sink(STDOUT_FILENO, "stdout");
  OutputSink* sink = &stdout_sink;
  if (!records_to_stdout) {
    output_file = std::make_unique<AtomicFile>(o.output_file);
    sink = &output_file->sink();
  }
  std::unique_ptr<AttentionDump> dump;
  if (!o.attention_file.empty()) {
    DumpOptions dump_options = o.dump;
    dump_options.long_text = o.long_text.policy;
    dump = std::make_unique<AttentionDump>(output_path(o.attention_file), model, dump_options);
  }

  RecordLayout layout = o.layout;
  layout.id = !o.table.id.empty();
  layout.kept = o.table.kept;
  RecordWriter writer(*sink, o.format, model, layout);
  writer.flush();  // the TSV header or the JSON array's "[" now: a coprocess may read it before its first line
  PipelineOptions pipeline;
  pipeline.batch_size = o.batch_size;
  pipeline.threads = o.threads;
  pipeline.long_text = o.long_text;
  std::unique_ptr<ProgressMeter> meter;
  if (show_progress) {
    meter = std::make_unique<ProgressMeter>(STDERR_FILENO, reader, total_bytes, o.progress == ProgressMode::Auto);
    pipeline.progress = &ProgressMeter::callback;
    pipeline.progress_context = meter.get();
  }
  const PipelineResult result = run_pipeline(model, reader, writer, dump.get(), pipeline);
  if (meter) meter->finish();
  writer.finish();
  if (output_file) output_file->commit();
  if (dump) dump->commit();
  spdlog::info("{} inputs, {} errors", result.inputs, result.errors);
  if (reader.had_io_error()) return kExitIo;
  if (result.errors > 0) return kExitInputErrors;
  return result.below_threshold > 0 ? kExitBelowThreshold : kExitOk;
}

}  // namespace

void add_classify_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<ClassifyOptions>();
  auto* classify = app.add_subcommand("classify", "Classify texts given as arguments, in files, or on stdin");
  // Each text taken word for word: with extra arguments allowed, CLI11 splits a word in brackets ("[good,fun]")
  // into several. A positional that expects "any number" and keeps them all takes every text without that.
  classify->add_option("texts", o->texts, "Texts to classify; none, or -, reads one text per line from stdin")
      ->expected(CLI::detail::expected_max_vector_size, CLI::detail::expected_max_vector_size)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  classify->add_option("-i,--input", o->input_files, "Read one text per line from FILE (repeatable; - for stdin)")
      ->type_name("FILE");
  classify
      ->add_option_function<std::string>(
          "-f,--format", [o](const std::string& name) { o->format = output_format_named(name); }, "Output format")
      ->check(CLI::IsMember(output_format_names()))
      ->default_str("text");
  classify->add_option("-k,--top-k", o->layout.top_k, "Show the K most likely labels (default: all)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  classify
      ->add_option("--threshold", o->layout.threshold,
                   "Name a label only when its probability reaches P; below it the record says that no label "
                   "did (label null in JSON, empty in TSV, (none) in text) and the exit code is 6")
      ->check(CLI::Range(0.0, 1.0))
      ->type_name("P");
  auto* attention = classify
      ->add_option("--attention", o->attention_file,
                   "Write every input's tokens, prediction and attention weights [layer][head][query][key] "
                   "to FILE as JSON (written whole or not at all; - is stdout, with -o FILE)")
      ->type_name("FILE");
  auto* layers = classify
                     ->add_option("--layers", o->dump.layers,
                                  "With --attention: only these layers, e.g. 0,1 (numbered from 0; default: all)")
                     ->delimiter(',')
                     ->type_name("LIST")
                     ->allow_extra_args(false);
  auto* heads = classify
                    ->add_option("--heads", o->dump.heads,
                                 "With --attention: only these heads, e.g. 0,3 (numbered from 0; default: all)")
                    ->delimiter(',')
                    ->type_name("LIST")
                    ->allow_extra_args(false);
  auto* aggregate = add_choice(*classify, "--head-aggregate", o->dump.head_aggregate,
                               {{"none", HeadAggregate::None}, {"mean", HeadAggregate::Mean}, {"max", HeadAggregate::Max}},
                               "With --attention: none keeps every head ([layer][head][query][key]); mean or max "
                               "combines the (selected) heads into [layer][query][key]",
                               "HOW");
  auto* rollout = classify->add_flag("--rollout", o->dump.rollout,
                                     "With --attention: add each input's attention rollout, one importance per "
                                     "token (docs/attention.md)");
  auto* precision = classify
                        ->add_option("--precision", o->dump.precision,
                                     "With --attention: write attention values with N digits after the decimal "
                                     "point (default: every digit of the float)")
                        ->check(CLI::Range(0, 9))
                        ->type_name("N");
  for (auto* option : {layers, heads, aggregate, rollout, precision}) option->needs(attention);
  add_table_options(*classify, o->table, true);
  classify
      ->add_option("--stdin-name", o->stdin_naming.name,
                   "The source name stdin's records carry (default: -); with --stdin-first-line, a piece of a "
                   "file classified on its own gets the records of the whole file (docs/scale-out.md)")
      ->type_name("NAME");
  classify
      ->add_option("--stdin-first-line", o->stdin_naming.first_line,
                   "The line number of stdin's first line in records (default: 1)")
      ->check(CLI::PositiveNumber)
      ->type_name("N");
  add_long_text_options(*classify, o->long_text);
  add_choice(*classify, "--progress", o->progress,
             {{"auto", ProgressMode::Auto}, {"always", ProgressMode::Always}, {"never", ProgressMode::Never}},
             "Progress line on stderr: auto (when stderr is a terminal that the records do not go to, and the "
             "input is not typed), always or never",
             "WHEN");
  classify
      ->add_option("-o,--output", o->output_file, "Write the records to FILE instead of stdout (whole or not at all; - is stdout)")
      ->type_name("FILE");
  classify->add_option("--batch-size", o->batch_size, "Inputs classified together")
      ->check(CLI::Range(size_t{1}, size_t{65536}))
      ->default_val(kDefaultBatchSize);
  classify->add_option("-t,--threads", o->threads, "Worker threads (default: the number of cores)")
      ->check(CLI::Range(size_t{1}, size_t{256}));
  classify->footer(std::string(kClassifyExamples) + "\n" + kExitCodesHelp);
  classify->callback([&context, classify, o] {
    begin_command(context);
    context.exit_code = run_classify(context, *classify, *o);
  });
}

}  // namespace attn::app
