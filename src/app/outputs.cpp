#include "outputs.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "attn/errors.h"

namespace attn::app {

double json_float(float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  *result.ptr = '\0';
  return std::strtod(buffer, nullptr);
}

std::vector<int> ranked_labels(const Prediction& prediction, size_t top_k) {
  std::vector<int> order(prediction.probabilities.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return prediction.probabilities[a] > prediction.probabilities[b]; });
  if (top_k > 0 && top_k < order.size()) order.resize(top_k);
  return order;
}

nlohmann::ordered_json record_json(const Record& record, const Model& model, size_t top_k) {
  nlohmann::ordered_json j;
  j["source"] = record.input->source;
  j["line"] = record.input->line;
  if (record.prediction == nullptr) {
    j["error"] = record.error;
    return j;
  }
  const Prediction& p = *record.prediction;
  j["label"] = model.labels()[p.label];
  j["probability"] = json_float(p.probabilities[p.label]);
  nlohmann::ordered_json ranked = nlohmann::ordered_json::array();
  for (int i : ranked_labels(p, top_k)) {
    ranked.push_back({{"label", model.labels()[i]}, {"probability", json_float(p.probabilities[i])}});
  }
  j["labels"] = std::move(ranked);
  j["tokens"] = record.encoding->ids.size();
  j["truncated"] = record.encoding->truncated();
  if (record.encoding->truncated()) j["tokens_before_truncation"] = record.encoding->num_tokens_before_truncation;
  if (record.long_text != nullptr && record.long_text->applied) {
    j["long_text"] = to_string(record.long_text->policy);
    j["windows"] = record.long_text->num_windows();
  }
  return j;
}

RecordWriter::RecordWriter(OutputSink& sink, OutputFormat format, const Model& model, size_t top_k)
    : sink_(sink), format_(format), model_(model), top_k_(top_k) {
  if (format_ == OutputFormat::Tsv) {
    std::string header = "source\tline\tlabel\tprobability";
    for (const auto& label : model_.labels()) header += "\tp_" + label;
    header += "\ttruncated\terror\n";
    sink_.append(header);
  } else if (format_ == OutputFormat::Json) {
    sink_.append("[");
  }
}

namespace {

// Tabs and newlines inside a TSV field would break the row; messages never need them.
std::string tsv_field(std::string value) {
  std::replace(value.begin(), value.end(), '\t', ' ');
  std::replace(value.begin(), value.end(), '\n', ' ');
  return value;
}

std::string fixed(float value, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, static_cast<double>(value));
  return buffer;
}

}  // namespace

std::string long_text_note(const Encoding& encoding, const LongTextEncoding* long_text) {
  if (!encoding.truncated() && (long_text == nullptr || !long_text->applied)) return "";
  const std::string kept = std::to_string(encoding.ids.size());
  const std::string total = std::to_string(encoding.num_tokens_before_truncation);
  const LongTextPolicy policy = long_text != nullptr ? long_text->policy : LongTextPolicy::KeepStart;
  switch (policy) {
    case LongTextPolicy::KeepStart: break;
    case LongTextPolicy::KeepEnd: return "truncated: last " + kept + " of " + total + " tokens";
    case LongTextPolicy::KeepEnds: {
      const size_t head = (encoding.ids.size() + 1) / 2;
      return "truncated: first " + std::to_string(head) + " and last " + std::to_string(encoding.ids.size() - head) +
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
      out = record_json(record, model_, top_k_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      break;
    case OutputFormat::Json:
      out = record_json(record, model_, top_k_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      break;
    case OutputFormat::Tsv: {
      // source, line, label, probability, one p_<label> per label, truncated, error
      std::vector<std::string> fields = {tsv_field(record.input->source), std::to_string(record.input->line)};
      if (record.prediction == nullptr) {
        fields.resize(fields.size() + 3 + model_.labels().size());
        fields.push_back(tsv_field(record.error));
      } else {
        const Prediction& p = *record.prediction;
        fields.push_back(model_.labels()[p.label]);
        fields.push_back(fixed(p.probabilities[p.label], 6));
        for (float prob : p.probabilities) fields.push_back(fixed(prob, 6));
        fields.push_back(record.encoding->truncated() ? "true" : "false");
        fields.emplace_back();
      }
      for (size_t i = 0; i < fields.size(); ++i) out += (i > 0 ? "\t" : "") + fields[i];
      out += "\n";
      break;
    }
    case OutputFormat::Text: {
      if (record.prediction == nullptr) {
        out = "error: " + record.error + "\n";
      } else {
        const Prediction& p = *record.prediction;
        for (int i : ranked_labels(p, top_k_)) {
          out += (out.empty() ? "" : "  ") + model_.labels()[i] + " " + fixed(p.probabilities[i], 4);
        }
        const std::string note = long_text_note(*record.encoding, record.long_text);
        if (!note.empty()) out += "  (" + note + ")";
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
