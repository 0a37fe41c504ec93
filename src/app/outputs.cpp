#include "outputs.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "attn/errors.h"
#include "output_helpers.h"
#include "printable.h"

namespace attn::app {

namespace {

// What the text format shows in place of a label when none reached --threshold.
constexpr const char* kNoLabel = "(none)";

}  // namespace

const std::vector<std::pair<std::string, OutputFormat>> kOutputFormats = {
    {"text", OutputFormat::Text}, {"json", OutputFormat::Json}, {"jsonl", OutputFormat::Jsonl}, {"tsv", OutputFormat::Tsv}};

std::vector<std::string> output_format_names() {
  std::vector<std::string> names;
  for (const auto& [name, format] : kOutputFormats) names.push_back(name);
  return names;
}

OutputFormat output_format_named(const std::string& name) {
  for (const auto& [known, format] : kOutputFormats) {
    if (known == name) return format;
  }
  throw std::invalid_argument("unknown output format " + name);
}

bool below_threshold(const Prediction& prediction, const RecordLayout& layout) {
  return static_cast<double>(prediction.probabilities[prediction.label]) < layout.threshold;
}

void append_record_json(std::string& out, const Record& record, const Model& model, const RecordLayout& layout) {
  out += "{\"source\":";
  append_json_string(out, record.input->source);
  out += ",\"line\":";
  append_json_uint(out, record.input->line);
  if (layout.id) {
    out += ",\"id\":";
    append_json_string(out, record.input->id);
  }
  if (!layout.kept.empty()) {
    out += ",\"kept\":{";
    for (size_t i = 0; i < layout.kept.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, layout.kept[i]);
      out += ':';
      append_json_string(out, i < record.input->kept.size() ? record.input->kept[i] : std::string());
    }
    out += '}';
  }
  if (record.prediction == nullptr) {
    out += ",\"error\":";
    append_json_string(out, record.error);
    out += '}';
    return;
  }
  const Prediction& p = *record.prediction;
  const bool unsure = below_threshold(p, layout);
  out += ",\"label\":";
  if (unsure) out += "null";
  else append_json_string(out, model.labels()[p.label]);
  out += ",\"probability\":";
  append_json_float(out, p.probabilities[p.label]);
  out += ",\"labels\":[";
  bool first = true;
  for (int i : ranked_labels(p.probabilities, layout.top_k)) {
    out += first ? "{\"label\":" : ",{\"label\":";
    append_json_string(out, model.labels()[i]);
    out += ",\"probability\":";
    append_json_float(out, p.probabilities[i]);
    out += '}';
    first = false;
  }
  out += "],\"tokens\":";
  append_json_uint(out, record.encoding->num_text_tokens());
  out += record.encoding->truncated() ? ",\"truncated\":true" : ",\"truncated\":false";
  if (unsure) out += ",\"below_threshold\":true";
  if (record.encoding->truncated()) {
    out += ",\"tokens_before_truncation\":";
    append_json_uint(out, record.encoding->num_tokens_before_truncation);
  }
  if (record.long_text != nullptr && record.long_text->applied) {
    out += ",\"long_text\":";
    append_json_string(out, to_string(record.long_text->policy));
    out += ",\"windows\":";
    append_json_uint(out, record.long_text->num_windows());
  }
  out += '}';
}

namespace {

// A tab, CR or newline inside a TSV field would break the row, and other controls act on a terminal; a
// passed-through text field has them escaped too.
std::string tsv_field(std::string_view value) { return printable(value); }

}  // namespace

RecordWriter::RecordWriter(OutputSink& sink, OutputFormat format, const Model& model, RecordLayout layout)
    : sink_(sink), format_(format), model_(model), layout_(std::move(layout)) {
  if (format_ == OutputFormat::Tsv) {
    std::string header = "source\tline";
    if (layout_.id) header += "\tid";
    for (const auto& name : layout_.kept) header += "\t" + tsv_field(name);
    header += "\tlabel\tprobability";
    for (const auto& label : model_.labels()) header += "\tp_" + tsv_field(label);
    header += "\ttruncated\terror\n";
    sink_.append(header);
  } else if (format_ == OutputFormat::Json) {
    sink_.append("[");
  }
}

std::string long_text_note(const Encoding& encoding, const LongTextEncoding* long_text) {
  if (!encoding.truncated() && (long_text == nullptr || !long_text->applied)) return "";
  const std::string kept = std::to_string(encoding.num_text_tokens());
  const std::string total = std::to_string(encoding.num_tokens_before_truncation);
  const LongTextPolicy policy = long_text != nullptr ? long_text->policy : LongTextPolicy::KeepStart;
  switch (policy) {
    case LongTextPolicy::KeepStart: break;
    case LongTextPolicy::KeepEnd: return "truncated: last " + kept + " of " + total + " tokens";
    case LongTextPolicy::KeepEnds: {
      const size_t head = (encoding.num_text_tokens() + 1) / 2;
      return "truncated: first " + std::to_string(head) + " and last " +
             std::to_string(encoding.num_text_tokens() - head) +
             " of " + total + " tokens";
    }
    case LongTextPolicy::Window:
      return total + " tokens in " + std::to_string(long_text->num_windows()) + " windows";
  }
  return "truncated: first " + kept + " of " + total + " tokens";
}

std::string RecordWriter::format(const Record& record) const {
  std::string out;
  switch (format_) {
    case OutputFormat::Jsonl:
      append_record_json(out, record, model_, layout_);
      out += '\n';
      break;
    case OutputFormat::Json:
      append_record_json(out, record, model_, layout_);
      break;
    case OutputFormat::Tsv: {
      // source, line[, id][, kept...], label (empty below the threshold), probability, one p_<label> per label,
      // truncated, error
      std::vector<std::string> fields = {tsv_field(record.input->source), std::to_string(record.input->line)};
      if (layout_.id) fields.push_back(tsv_field(record.input->id));
      for (size_t i = 0; i < layout_.kept.size(); ++i) {
        fields.push_back(i < record.input->kept.size() ? tsv_field(record.input->kept[i]) : std::string());
      }
      if (record.prediction == nullptr) {
        fields.resize(fields.size() + 3 + model_.labels().size());
        fields.push_back(tsv_field(record.error));
      } else {
        const Prediction& p = *record.prediction;
        fields.push_back(below_threshold(p, layout_) ? std::string() : tsv_field(model_.labels()[p.label]));
        fields.push_back(format_fixed(p.probabilities[p.label], 6));
        for (float prob : p.probabilities) fields.push_back(format_fixed(prob, 6));
        fields.push_back(record.encoding->truncated() ? "true" : "false");
        fields.emplace_back();
      }
      for (size_t i = 0; i < fields.size(); ++i) out += (i > 0 ? "\t" : "") + fields[i];
      out += "\n";
      break;
    }
    case OutputFormat::Text: {
      if (record.prediction == nullptr) {
        out = "error: " + printable(record.error) + "\n";
      } else {
        const Prediction& p = *record.prediction;
        const bool unsure = below_threshold(p, layout_);
        if (unsure) out = kNoLabel;
        for (int i : ranked_labels(p.probabilities, layout_.top_k)) {
          out += (out.empty() ? "" : "  ") + printable(model_.labels()[i]) + " " + format_fixed(p.probabilities[i], 4);
        }
        std::string note = long_text_note(*record.encoding, record.long_text);
        if (unsure) {
          note += (note.empty() ? "no label reached " : "; no label reached ") + format_fixed(layout_.threshold, 4);
        }
        if (!note.empty()) out += "  (" + note + ")";
        if (layout_.id) out = printable(record.input->id) + "  " + out;
        out += "\n";
      }
      break;
    }
  }
  return out;
}

void RecordWriter::write(const std::string& formatted) {
  if (format_ == OutputFormat::Json) sink_.append(count_ > 0 ? ",\n  " : "\n  ");
  sink_.append(formatted);
  sink_.flush_if_large();
  ++count_;
}

void RecordWriter::finish() {
  if (format_ == OutputFormat::Json) sink_.append(count_ > 0 ? "\n]\n" : "]\n");
  sink_.flush();
}

}  // namespace attn::app
