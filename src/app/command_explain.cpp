// attn explain: one text's prediction and what the model looked at, for a person: the tokens shaded by
// importance in the terminal (numbers when piped), and with --html a page with every layer's and head's attention.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "attn/long_text.h"
#include "attn/predict_text.h"
#include "attn/rollout.h"
#include "cli.h"
#include "common_options.h"
#include "exit_codes.h"
#include "file_io.h"
#include "html_report.h"
#include "terminal_view.h"

namespace attn::app {
namespace {

struct ExplainOptions {
  std::string text;
  std::string html_file;
  ColorMode color = ColorMode::Auto;
  LongTextOptions long_text;
};

constexpr const char* kExplainExamples =
    "Examples:\n"
    "  attn explain \"a gripping, beautifully acted film\"\n"
    "  attn explain \"not bad at all\" --html report.html     # then open report.html in a browser\n"
    "  attn explain \"not bad at all\" --color never          # token<TAB>importance lines, for scripts\n"
    "  cat review.txt | attn explain - --long-text window --html review.html\n"
    "\n"
    "Prints the label and probabilities, then every token with its importance: the attention rollout of\n"
    "Abnar & Zuidema (2020), weighted as the model pools its tokens (docs/attention.md). On a terminal the\n"
    "tokens are shaded, low (none) to high (red); otherwise, or with NO_COLOR set, one \"token  importance\"\n"
    "line each. --html writes one self-contained page (no network needed) with the prediction, the shaded\n"
    "tokens and a heatmap per layer and head.\n";

struct TooLong {};

// All of stdin, without its final line break(s): `attn explain -`. Throws TooLong past kMaxLineBytes.
std::string read_stdin() {
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n > 0) {
      if (text.size() + static_cast<size_t>(n) > kMaxLineBytes) throw TooLong();
      text.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      throw IoError(std::string("-: cannot read (") + std::strerror(errno) + ")");
    }
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

int run_explain(const Context& context, const CLI::App& command, const ExplainOptions& o) {
  const Model& model = load_model(context);
  check_long_text_options(command, o.long_text, model);
  check_outputs_distinct({{"--html", output_path(o.html_file)}}, {{"the model", model.source()}});
  std::string text = o.text;
  if (o.text == "-") {
    try {
      text = read_stdin();
    } catch (const TooLong&) {
      std::fprintf(stderr, "attn: explain: -: %s\n", too_long_message().c_str());
      return kExitInputErrors;
    }
  }

  Workspace work;
  const std::vector<TextPrediction> results = predict_texts(model, {text}, o.long_text, work, true);
  const TextPrediction& result = results.front();
  if (!result.error.empty()) {
    std::fprintf(stderr, "attn: explain: %s\n", result.error.c_str());
    return kExitInputErrors;
  }
  const LongTextEncoding& encoding = result.encoding;
  const Prediction& prediction = result.prediction();
  const std::vector<AttentionMaps>& maps = result.attention;
  std::vector<float> importance;
  if (encoding.windowed()) {
    std::vector<std::vector<float>> window_importance;
    for (const AttentionMaps& window : maps) window_importance.push_back(rollout_importance(window, model.config().pooling));
    importance = combine_window_importance(encoding, window_importance);
  } else {
    importance = rollout_importance(maps.front(), model.config().pooling);
  }

  // The label line is the text record of `attn classify`, long-text note included.
  InputText input;
  input.source = "arg";
  input.line = 1;
  input.text = text;
  Record record;
  record.input = &input;
  record.encoding = &encoding.encoding;
  record.prediction = &prediction;
  record.long_text = &encoding;
  OutputSink out(STDOUT_FILENO, "stdout");
  const RecordWriter writer(out, OutputFormat::Text, model, RecordLayout{});
  const std::string label_line = writer.format(record);

  if (!o.html_file.empty()) {
    ExplainReport report;
    report.text = text;
    report.model = model.source();
    report.labels = model.labels();
    report.probabilities = prediction.probabilities;
    report.label = prediction.label;
    report.note = long_text_note(encoding.encoding, &encoding);
    report.tokens = encoding.encoding.tokens;
    report.importance = importance;
    report.continuation_prefix = model.tokenizer().config().continuation_prefix;
    for (size_t w = 0; w < maps.size(); ++w) {
      ExplainReport::Window window{encoding.windowed() ? encoding.window_starts[w] : 0, &maps[w], {}};
      if (encoding.windowed() && encoding.windows[w].wrapped) {
        window.tokens = window_tokens(encoding, w, model.tokenizer());
      }
      report.windows.push_back(std::move(window));
    }
    AtomicFile file(output_path(o.html_file));
    file.sink().append(render_html_report(report));
    file.commit();
    spdlog::info("wrote {}", o.html_file);
    if (names_stdout(o.html_file)) return kExitOk;  // the report is the output
  }

  const std::vector<std::string>& tokens = encoding.encoding.tokens;
  out.append(label_line);
  if (use_color(o.color, STDOUT_FILENO)) {
    out.append("\n" + render_shaded_tokens(tokens, importance, model.tokenizer().config().continuation_prefix,
                                           detect_terminal_colors()));
  } else {
    out.append(render_token_table(tokens, importance));
  }
  out.flush();
  return kExitOk;
}

}  // namespace

void add_explain_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<ExplainOptions>();
  auto* explain = app.add_subcommand(
      "explain", "Show one text's prediction and which tokens mattered; --html writes a page with every attention map");
  explain->add_option("text", o->text, "The text to explain; - reads it from stdin")->required();
  explain
      ->add_option("--html", o->html_file,
                   "Also write a self-contained HTML report to FILE: prediction, shaded tokens, a heatmap per layer "
                   "and head (written whole or not at all; - writes only the report, to stdout)")
      ->type_name("FILE");
  add_color_option(*explain, o->color);
  add_long_text_options(*explain, o->long_text);
  explain->footer(std::string(kExplainExamples) + "\n" + kExitCodesHelp);
  explain->callback([&context, explain, o] {
    begin_command(context);
    context.exit_code = run_explain(context, *explain, *o);
  });
}

}  // namespace attn::app
