#pragma once
// The --attention dump: one JSON document with, for every input, its tokens, the prediction and the attention
// weights; streamed into an AtomicFile and committed at the end. docs/attention.md describes it and
// docs/attention-dump.schema.json pins it down.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/long_text.h"
#include "attn/model.h"
#include "attn/rollout.h"
#include "file_io.h"
#include "outputs.h"

namespace attn::app {

// What goes into the dump. The default (every layer and head, unaggregated, no rollout, shortest round-trip
// floats) is attention[layer][head][query][key], with no option keys in its header.
struct DumpOptions {
  std::vector<int> layers;  // in this order; empty: every layer
  std::vector<int> heads;   // in this order; empty: every head
  HeadAggregate head_aggregate = HeadAggregate::None;
  bool rollout = false;
  int precision = -1;  // digits after the decimal point for attention values; -1: shortest float32 round trip
  LongTextPolicy long_text = LongTextPolicy::KeepStart;
};

// Checks --layers and --heads against the model; throws CLI::ValidationError naming the option and the index.
void validate_dump_options(const DumpOptions& options, const ModelConfig& config);

// "mean" for HeadAggregate::Mean, and so on; the names the CLI accepts.
const char* to_string(HeadAggregate aggregate);

// The parts a record was computed from: one, or one per window of a long text (Record::long_text).
struct RecordParts {
  const AttentionMaps* maps = nullptr;       // [count]
  const Prediction* predictions = nullptr;  // [count]
  size_t count = 0;
};

class AttentionDump {
 public:
  AttentionDump(const std::string& path, const Model& model, DumpOptions options);
  // One input's entry; const, so safe to call from worker threads.
  std::string format(const Record& record, const RecordParts& parts) const;
  void write(const std::string& formatted);
  void commit();

 private:
  // The selected, aggregated and rounded attention of one input (or one window): [layer][head][query][key],
  // or [layer][query][key] with a head aggregate.
  nlohmann::json attention_json(const AttentionMaps& maps) const;
  double value(float weight) const;  // rounded to the precision

  const Model& model_;
  DumpOptions options_;
  std::vector<int> layers_;  // resolved: options_.layers or every layer
  std::vector<int> heads_;
  AtomicFile file_;
  size_t count_ = 0;
};

}  // namespace attn::app
