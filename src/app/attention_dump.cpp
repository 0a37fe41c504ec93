#include "attention_dump.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <set>

#include "output_helpers.h"

namespace attn::app {
namespace {

void validate_indices(const std::vector<int>& indices, int count, const char* option, const char* what) {
  std::set<int> seen;
  for (int index : indices) {
    if (index < 0 || index >= count) {
      throw CLI::ValidationError(option, std::string(what) + " " + std::to_string(index) + " does not exist: the model has " +
                                             std::to_string(count) + " " + what + "s, numbered 0 to " +
                                             std::to_string(count - 1));
    }
    if (!seen.insert(index).second) {
      throw CLI::ValidationError(option, std::string(what) + " " + std::to_string(index) + " is listed twice");
    }
  }
}

bool is_default(const DumpOptions& o) {
  return o.layers.empty() && o.heads.empty() && o.head_aggregate == HeadAggregate::None && !o.rollout &&
         o.precision < 0 && o.long_text == LongTextPolicy::KeepStart;
}

}  // namespace

const char* to_string(HeadAggregate aggregate) {
  switch (aggregate) {
    case HeadAggregate::None: return "none";
    case HeadAggregate::Mean: return "mean";
    case HeadAggregate::Max: return "max";
  }
  return "?";
}

void validate_dump_options(const DumpOptions& options, const ModelConfig& config) {
  validate_indices(options.layers, config.num_layers, "--layers", "layer");
  validate_indices(options.heads, config.num_heads, "--heads", "head");
}

AttentionDump::AttentionDump(const std::string& path, const Model& model, DumpOptions options)
    : model_(model),
      options_(std::move(options)),
      layers_(options_.layers.empty() ? all_indices(model.config().num_layers) : options_.layers),
      heads_(options_.heads.empty() ? all_indices(model.config().num_heads) : options_.heads),
      file_(path) {
  validate_dump_options(options_, model.config());
  const auto& c = model.config();
  const bool aggregated = options_.head_aggregate != HeadAggregate::None;
  nlohmann::ordered_json header = {
      {"format", "attn-attention"},
      {"version", 1},
      {"model", model.source()},
      {"layout", aggregated ? "attention[layer][query][key]" : "attention[layer][head][query][key]"},
      {"num_layers", c.num_layers},
      {"num_heads", c.num_heads},
      {"labels", model.labels()},
  };
  // Only a dump asked for with options says how it was made: the default dump's header is fixed by
  // docs/attention-dump.schema.json and read by existing scripts.
  if (!is_default(options_)) {
    header["layers"] = layers_;
    header["heads"] = heads_;
    header["head_aggregate"] = to_string(options_.head_aggregate);
    header["rollout"] = options_.rollout;
    if (options_.precision >= 0) header["precision"] = options_.precision;
    header["long_text"] = to_string(options_.long_text);
  }
  std::string text = dump_json(header);
  text.pop_back();  // reopen the object to stream the inputs array into it
  file_.sink().append(text + ",\"inputs\":[");
}

double AttentionDump::value(float weight) const {
  if (options_.precision < 0) return json_float(weight);
  const double scale = std::pow(10.0, options_.precision);
  return std::round(static_cast<double>(weight) * scale) / scale;
}

nlohmann::json AttentionDump::attention_json(const AttentionMaps& maps) const {
  auto rounded = [this](float weight) { return value(weight); };
  if (options_.head_aggregate == HeadAggregate::None) return attention_maps_json(maps, layers_, heads_, rounded);
  const int n = maps.length;
  nlohmann::json layers = nlohmann::json::array();
  for (int l : layers_) {
    const std::vector<float> aggregated = aggregate_heads(maps, l, options_.head_aggregate, heads_);
    nlohmann::json rows = nlohmann::json::array();
    for (int q = 0; q < n; ++q) {
      nlohmann::json row = nlohmann::json::array();
      for (int k = 0; k < n; ++k) row.push_back(rounded(aggregated[static_cast<size_t>(q) * n + k]));
      rows.push_back(std::move(row));
    }
    layers.push_back(std::move(rows));
  }
  return layers;
}

std::string AttentionDump::format(const Record& record, const RecordParts& parts) const {
  nlohmann::ordered_json j;
  j["source"] = record.input->source;
  j["line"] = record.input->line;
  j["text"] = record.input->text;
  if (record.prediction == nullptr) {
    j["error"] = record.error;
    return dump_json(j);
  }
  auto probabilities_json = [](const Prediction& p) {
    nlohmann::json out = nlohmann::json::array();
    for (float prob : p.probabilities) out.push_back(json_float(prob));
    return out;
  };
  auto rollout_json = [&](const std::vector<float>& importance) {
    nlohmann::json out = nlohmann::json::array();
    for (float v : importance) out.push_back(value(v));
    return out;
  };
  const Prediction& p = *record.prediction;
  j["tokens"] = record.encoding->tokens;
  j["truncated"] = record.encoding->truncated();
  j["label"] = p.label;
  j["probabilities"] = probabilities_json(p);
  const LongTextEncoding* long_text = record.long_text;
  if (long_text == nullptr || !long_text->windowed()) {
    j["attention"] = attention_json(parts.maps[0]);
    if (options_.rollout) j["rollout"] = rollout_json(rollout_importance(parts.maps[0], model_.config().pooling));
    return dump_json(j);
  }
  std::vector<std::vector<float>> importances;
  nlohmann::ordered_json windows = nlohmann::ordered_json::array();
  for (size_t w = 0; w < parts.count; ++w) {
    nlohmann::ordered_json window;
    window["start"] = long_text->window_starts[w];
    window["length"] = parts.maps[w].length;
    if (long_text->windows[w].wrapped) window["tokens"] = window_tokens(*long_text, w, model_.tokenizer());
    window["label"] = parts.predictions[w].label;
    window["probabilities"] = probabilities_json(parts.predictions[w]);
    window["attention"] = attention_json(parts.maps[w]);
    if (options_.rollout) {
      importances.push_back(rollout_importance(parts.maps[w], model_.config().pooling));
      window["rollout"] = rollout_json(importances.back());
    }
    windows.push_back(std::move(window));
  }
  if (options_.rollout) {
    j["rollout"] = rollout_json(combine_window_importance(*long_text, importances));
  }
  j["windows"] = std::move(windows);
  return dump_json(j);
}

void AttentionDump::write(const std::string& formatted) {
  file_.sink().append(count_ > 0 ? ",\n" : "\n");
  file_.sink().append(formatted);
  file_.sink().flush_if_large();
  ++count_;
}

void AttentionDump::commit() {
  file_.sink().append("\n]}\n");
  file_.commit();
}

}  // namespace attn::app
