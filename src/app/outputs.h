#pragma once
// Output records (text, json, jsonl, tsv); attention_dump.h has the --attention dump.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attn/long_text.h"
#include "attn/model.h"
#include "file_io.h"
#include "inputs.h"
#include "json_text.h"

namespace attn::app {

enum class OutputFormat { Text, Json, Jsonl, Tsv };

// Each format with the name --format takes, in the order --help lists them.
extern const std::vector<std::pair<std::string, OutputFormat>> kOutputFormats;
std::vector<std::string> output_format_names();
OutputFormat output_format_named(const std::string& name);  // one of output_format_names()

// The result for one input: either a prediction or an error message.
struct Record {
  const InputText* input = nullptr;
  const Encoding* encoding = nullptr;      // null for an error record
  const Prediction* prediction = nullptr;  // null for an error record
  const LongTextEncoding* long_text = nullptr;  // how a text longer than max_length was handled; may be null
  std::string error;
};

// What was done to a text longer than max_length ("truncated: first 12 of 40 tokens", "truncated: first 6 and
// last 6 of 40 tokens", "40 tokens in 6 windows"), or "" when it fitted.
std::string long_text_note(const Encoding& encoding, const LongTextEncoding* long_text);

// What every record carries besides its prediction.
struct RecordLayout {
  size_t top_k = 0;        // the K most likely labels; 0: every label
  double threshold = 0.0;  // a label only when its probability reaches this (--threshold); 0: always a label
  bool id = false;         // each record carries its input's id (structured input with an id column or field)
  std::vector<std::string> kept;  // the names of the input columns or fields passed through, in order
};

// True when no label's probability reaches the layout's threshold: the record names no label.
bool below_threshold(const Prediction& prediction, const RecordLayout& layout);

// Formats records (format() is const and safe to call from worker threads) and writes them in order.
class RecordWriter {
 public:
  RecordWriter(OutputSink& sink, OutputFormat format, const Model& model, RecordLayout layout);
  std::string format(const Record& record) const;  // one record, without the separator of a JSON array
  void write(const std::string& formatted);         // adds the separator; buffered until a flush
  void write(const Record& record) { write(format(record)); }
  void flush() { sink_.flush(); }  // throws IoError
  void finish();                   // closes the JSON array, flushes; throws IoError
  const RecordLayout& layout() const { return layout_; }

 private:
  OutputSink& sink_;
  OutputFormat format_;
  const Model& model_;
  RecordLayout layout_;
  size_t count_ = 0;
};

// One record as a JSON object on one line: source, line[, id][, kept: {name: value}], then error, or label (null
// below the threshold), probability, labels (ranked, at most top_k), tokens, truncated[, below_threshold]
// [, tokens_before_truncation][, long_text, windows].
void append_record_json(std::string& out, const Record& record, const Model& model, const RecordLayout& layout);

}  // namespace attn::app
