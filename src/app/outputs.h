#pragma once
// Output records (text, json, jsonl, tsv), the attention dump, and files written whole or not at all.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/model.h"
#include "inputs.h"

namespace attn::app {

enum class OutputFormat { Text, Json, Jsonl, Tsv };

// A file that appears under its name only when commit() succeeds: written to a temporary file in the same
// directory, then renamed over the target. Destroyed uncommitted, it removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::FILE* stream() { return stream_; }
  void commit();  // throws IoError

 private:
  std::string path_;
  std::string temp_path_;
  std::FILE* stream_ = nullptr;
};

// Writes bytes to a stream, turning any write failure into IoError that names the destination.
void write_or_throw(std::FILE* stream, const std::string& bytes, const std::string& destination);

// The result for one input: either a prediction or an error message.
struct Record {
  const InputText* input = nullptr;
  const Encoding* encoding = nullptr;      // null for an error record
  const Prediction* prediction = nullptr;  // null for an error record
  std::string error;
};

// The JSON value a float prints as: its shortest round-trip float32 form (0.97312343, not 0.9731234312057495).
double json_float(float value);

// Labels sorted by probability, most likely first, at most top_k of them (0: all).
std::vector<int> ranked_labels(const Prediction& prediction, size_t top_k);

// Formats records (format() is const and safe to call from worker threads) and writes them in order.
class RecordWriter {
 public:
  RecordWriter(std::FILE* stream, std::string destination, OutputFormat format, const Model& model, size_t top_k);
  std::string format(const Record& record) const;  // one record, without the separator of a JSON array
  void write(const std::string& formatted);         // adds the separator; throws IoError
  void write(const Record& record) { write(format(record)); }
  void finish();  // closes the JSON array, flushes; throws IoError

 private:
  std::FILE* stream_;
  std::string destination_;
  OutputFormat format_;
  const Model& model_;
  size_t top_k_;
  size_t count_ = 0;
};

nlohmann::ordered_json record_json(const Record& record, const Model& model, size_t top_k);

// The --attention dump: one JSON document with, for every input, its tokens, the prediction and the
// attention weights [layer][head][query][key]; streamed into an AtomicFile and committed at the end.
class AttentionDump {
 public:
  AttentionDump(const std::string& path, const Model& model);
  static std::string format(const Record& record, const AttentionMaps* maps);  // safe from worker threads
  void write(const std::string& formatted);
  void commit();

 private:
  AtomicFile file_;
  std::string path_;
  size_t count_ = 0;
};

}  // namespace attn::app
