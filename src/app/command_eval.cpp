// attn eval: accuracy, macro-F1, per-label precision / recall / F1 and the confusion matrix on labelled data.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "attn/metrics.h"
#include "attn/predict_text.h"
#include "batch_pipeline.h"
#include "cli.h"
#include "common_options.h"
#include "exit_codes.h"
#include "file_io.h"
#include "inputs.h"
#include "output_helpers.h"
#include "printable.h"

namespace attn::app {
namespace {

// How a labelled line is laid out, after the shipped data sets: GLUE SST-2 (`text<TAB>label`), the SMS Spam
// Collection (`label<TAB>text`), and Kim's SST-2 and TREC-style files (`label<SPACE>text`).
enum class DataFormat { TextTabLabel, LabelTabText, LabelSpaceText };

const std::map<std::string, DataFormat> kDataFormats = {{"text-tab-label", DataFormat::TextTabLabel},
                                                       {"label-tab-text", DataFormat::LabelTabText},
                                                       {"label-space-text", DataFormat::LabelSpaceText}};

struct EvalOptions {
  std::vector<std::string> input_files;
  DataFormat data_format = DataFormat::TextTabLabel;
  TableOptions table;        // lines (laid out by data_format), or the rows of tsv, csv, jsonl
  std::string label_column;  // with a structured --input-format: the label's column or field
  std::map<std::string, std::string> label_map;  // data set label -> model label
  OutputFormat format = OutputFormat::Text;
  LongTextOptions long_text;  // as classify's: eval scores what classify answers with the same options
};

struct LabelledLine {
  std::string text;
  std::string label;
};

// Splits one line by the data format; nullopt (with `error` set) when the separator is missing.
std::optional<LabelledLine> split_line(const std::string& line, DataFormat format, std::string& error) {
  const char separator = format == DataFormat::LabelSpaceText ? ' ' : '\t';
  const size_t at = format == DataFormat::TextTabLabel ? line.rfind(separator) : line.find(separator);
  if (at == std::string::npos) {
    error = std::string("no ") + (separator == ' ' ? "space" : "tab") + " separating the label from the text";
    return std::nullopt;
  }
  if (format == DataFormat::TextTabLabel) return LabelledLine{line.substr(0, at), line.substr(at + 1)};
  return LabelledLine{line.substr(at + 1), line.substr(0, at)};
}

// The model label index of a data set label: through --label-map, else by name, else as an index (0, 1, ...).
std::optional<int> resolve_label(const std::string& raw, const Model& model, const EvalOptions& o) {
  std::string label = raw;
  if (auto it = o.label_map.find(raw); it != o.label_map.end()) label = it->second;
  const auto& labels = model.labels();
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == label) return static_cast<int>(i);
  if (o.label_map.empty() && !label.empty() && label.find_first_not_of("0123456789") == std::string::npos &&
      label.size() < 6) {
    const int index = std::stoi(label);
    if (index < static_cast<int>(labels.size())) return index;
  }
  return std::nullopt;
}

std::string percent(double value) { return format_fixed(100.0 * value, 2); }

std::string report_text(const ConfusionMatrix& m, const Model& model, size_t skipped) {
  const auto& labels = model.labels();
  size_t width = 10;
  std::vector<std::string> shown;  // the labels as they may be printed
  for (const auto& l : labels) shown.push_back(printable(l));
  for (const auto& l : shown) width = std::max(width, l.size() + 2);
  auto pad = [&](const std::string& s) { return s + std::string(width > s.size() ? width - s.size() : 1, ' '); };
  std::string out = "inputs     " + std::to_string(m.total()) + (skipped ? " (" + std::to_string(skipped) + " bad lines skipped)" : "") + "\n";
  out += "accuracy   " + percent(m.accuracy()) + "%\n";
  out += "macro-F1   " + percent(m.macro_f1()) + "%\n\n";
  out += pad("label") + "precision  recall  F1      support\n";
  for (size_t i = 0; i < labels.size(); ++i) {
    const int l = static_cast<int>(i);
    char row[96];
    std::snprintf(row, sizeof row, "%-9s  %-6s  %-6s  %zu\n", percent(m.precision(l)).c_str(),
                  percent(m.recall(l)).c_str(), percent(m.f1(l)).c_str(), m.support(l));
    out += pad(shown[i]) + row;
  }
  out += "\nconfusion matrix (rows: true label, columns: predicted)\n" + pad("");
  for (const auto& l : shown) out += pad(l);
  out += "\n";
  for (size_t t = 0; t < labels.size(); ++t) {
    out += pad(shown[t]);
    for (size_t p = 0; p < labels.size(); ++p) out += pad(std::to_string(m.counts()[t][p]));
    out += "\n";
  }
  return out;
}

std::string report_json(const ConfusionMatrix& m, const Model& model, size_t skipped) {
  nlohmann::ordered_json per_label = nlohmann::ordered_json::object();
  for (size_t i = 0; i < model.labels().size(); ++i) {
    const int l = static_cast<int>(i);
    per_label[model.labels()[i]] = {
        {"precision", m.precision(l)}, {"recall", m.recall(l)}, {"f1", m.f1(l)}, {"support", m.support(l)}};
  }
  const nlohmann::ordered_json j = {
      {"model", model.source()},
      {"inputs", m.total()},
      {"skipped", skipped},
      {"accuracy", m.accuracy()},
      {"macro_f1", m.macro_f1()},
      {"labels", model.labels()},
      {"per_label", per_label},
      {"confusion_matrix", m.counts()},
  };
  return dump_json(j, 2) + "\n";
}

// Every --label-map target must be one of the model's labels: a typo would otherwise turn every line with that
// label into a bad line, or count it as another label.
void check_label_map(const EvalOptions& o, const Model& model) {
  for (const auto& [data_label, model_label] : o.label_map) {
    const auto& labels = model.labels();
    if (std::find(labels.begin(), labels.end(), model_label) == labels.end()) {
      throw CLI::ValidationError("--label-map", data_label + "=" + model_label + ": \"" + model_label +
                                                    "\" is not a label of the model (its labels are " +
                                                    printable(dump_json(nlohmann::json(labels))) + ")");
    }
  }
}

int run_eval(const CLI::App& command, const Context& context, const EvalOptions& o) {
  const Model& model = load_model(context);
  check_long_text_options(command, o.long_text, model);
  check_label_map(o, model);
  std::vector<InputSource> sources;
  for (const auto& file : o.input_files) {
    sources.push_back(file == "-" ? InputSource{InputSource::Kind::Stdin, "-"} : InputSource{InputSource::Kind::File, file});
  }
  if (sources.empty()) sources.push_back({InputSource::Kind::Stdin, "-"});
  TableOptions table = o.table;
  if (table.format != InputFormat::Lines) {  // the label travels as a kept column
    table.kept = {!o.label_column.empty() ? o.label_column : table.format == InputFormat::Jsonl ? "label" : "2"};
  }
  check_table_options(command, table);
  InputReader reader(std::move(sources), table);

  ConfusionMatrix matrix(model.config().num_labels);
  size_t skipped = 0;
  Workspace work;
  std::vector<TextPrediction> texts;
  std::vector<int> truths;
  std::vector<InputText> lines;  // where each text came from, its text dropped
  auto bad_line = [&](const InputText& in, const std::string& what) {
    // The first few are shown; all are counted in the report.
    if (skipped++ < 10) spdlog::warn("{}:{}: {}", printable(in.source), in.line, printable(what));
  };
  auto flush = [&] {
    predict_encoded(model, texts, o.long_text, work);
    for (size_t i = 0; i < texts.size(); ++i) {
      if (texts[i].error.empty()) matrix.add(truths[i], texts[i].prediction().label);
      else bad_line(lines[i], texts[i].error);
    }
    texts.clear();
    truths.clear();
    lines.clear();
  };

  InputText in;
  while (reader.next(in)) {
    if (!in.error.empty()) {
      bad_line(in, in.error);
      continue;
    }
    std::optional<LabelledLine> parsed;
    std::string error;
    if (table.format != InputFormat::Lines) {
      parsed = LabelledLine{in.text, in.kept.front()};
    } else {
      parsed = split_line(in.text, o.data_format, error);
    }
    if (!parsed) {
      bad_line(in, error);
      continue;
    }
    const auto truth = resolve_label(parsed->label, model, o);
    if (!truth) {
      bad_line(in, "unknown label \"" + parsed->label + "\" (the model's labels are " +
                       dump_json(nlohmann::json(model.labels())) + "; map others with --label-map)");
      continue;
    }
    TextPrediction text = encode_text(model, parsed->text, o.long_text);
    if (!text.error.empty()) {
      bad_line(in, text.error);
      continue;
    }
    texts.push_back(std::move(text));
    truths.push_back(*truth);
    InputText where;  // only where the text came from, for bad_line
    where.source = in.source;
    where.line = in.line;
    lines.push_back(std::move(where));
    if (texts.size() >= kDefaultBatchSize) flush();
  }
  flush();
  if (skipped > 10) spdlog::warn("{} bad lines in all", skipped);
  if (reader.had_io_error()) return kExitIo;
  if (matrix.total() == 0) {
    // Figures of nothing (an accuracy of 0 out of 0) would read as a result.
    std::fprintf(stderr, "attn: eval: no labelled line to evaluate (%zu bad lines); no report\n", skipped);
    return kExitInputErrors;
  }

  OutputSink out(STDOUT_FILENO, "stdout");
  out.append(o.format == OutputFormat::Json ? report_json(matrix, model, skipped) : report_text(matrix, model, skipped));
  out.flush();
  return skipped > 0 ? kExitInputErrors : kExitOk;
}

}  // namespace

void add_eval_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<EvalOptions>();
  auto* eval = app.add_subcommand("eval", "Measure accuracy, macro-F1, per-label scores and the confusion matrix on labelled text");
  eval->add_option("-i,--input", o->input_files, "Labelled data, one example per line (repeatable; - or none: stdin)")
      ->type_name("FILE");
  eval->add_option_function<std::string>(
          "--data-format", [o](const std::string& name) { o->data_format = kDataFormats.at(name); },
          "Line layout: text-tab-label (GLUE SST-2), label-tab-text (SMS Spam Collection) or label-space-text "
          "(Kim's SST-2 files)")
      ->check(CLI::IsMember({"text-tab-label", "label-tab-text", "label-space-text"}))
      ->default_str("text-tab-label");
  add_table_options(*eval, o->table, false);
  eval->add_option("--label-column", o->label_column,
                   "With --input-format tsv, csv or jsonl: the column or field of the label (default: the second "
                   "column, or the field label)")
      ->type_name("COL");
  eval->add_option_function<std::vector<std::string>>(
          "--label-map",
          [o](const std::vector<std::string>& pairs) {
            for (const auto& pair : pairs) {
              const size_t eq = pair.find('=');
              if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
                throw CLI::ValidationError("--label-map", "expected DATA=MODEL pairs, got \"" + pair + "\"");
              }
              const std::string data_label = pair.substr(0, eq);
              const std::string model_label = pair.substr(eq + 1);
              const auto [it, added] = o->label_map.emplace(data_label, model_label);
              if (!added && it->second != model_label) {
                throw CLI::ValidationError("--label-map", "\"" + data_label + "\" is mapped to both \"" +
                                                              it->second + "\" and \"" + model_label + "\"");
              }
            }
          },
          "Data set labels to model labels, e.g. 0=negative,1=positive (default: labels that are model label "
          "names, or label indices 0, 1, ...)")
      ->delimiter(',');
  eval->add_option_function<std::string>(
          "-f,--format", [o](const std::string& name) { o->format = output_format_named(name); }, "Report format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  add_long_text_options(*eval, o->long_text);
  eval->footer(
      "Examples:\n"
      "  attn eval -i ../shared/data/sst2/kim2014/stsa.binary.test --data-format label-space-text\n"
      "  attn eval -i ../shared/data/sst2/glue/dev.tsv --header --format json\n"
      "  attn eval -i ../shared/data/sst2/glue/dev.tsv --input-format tsv --header --text-column sentence "
      "--label-column label\n"
      "  attn -m models/sms-spam.json eval -i SMSSpamCollection --data-format label-tab-text\n"
      "  attn -m reviews.json eval -i reviews-test.tsv --data-format label-tab-text --long-text window\n\n"
      "Lines that cannot be used (no separator, an unknown label, no tokens) are counted, the first ten shown\n"
      "on stderr, and the exit code is 5; with no usable line at all there is no report, and the exit code is 5.\n\n" +
      std::string(kExitCodesHelp));
  eval->callback([eval, &context, o] {
    begin_command(context);
    context.exit_code = run_eval(*eval, context, *o);
  });
}

}  // namespace attn::app
