// The JSON format reader: Model::load and Model::parse read a model file of format 1 (docs/model-format.md) or 2
// (docs/model-format-v2.md) and
// check it once; every problem is reported with the file, the key, and the expected against the actual value.
// The tensors go through the WeightsBinder, as the binary cache's do. Nothing after load looks a weight up by name.
#include <cerrno>
#include <cmath>
#include <cstring>

#include "attn/errors.h"
#include "attn/model.h"
#include "attn/tensor_table.h"
#include "json_reader.h"
#include "model_file.h"
#include "weights_binder.h"

namespace attn {
namespace {

int check_format_version(const JsonReader& root) {
  if (!root.has("format_version")) root.fail("format_version", "missing (is this an attn model file?)");
  const auto& node = root.child("format_version").node();
  if (!node.is_number_integer() || node.get<int64_t>() < 1) {
    // Only a scalar is shown: dump() recurses, so a deeply nested array here would overflow the stack.
    const std::string shown = node.is_primitive() ? node.dump() : json_type_name(node);
    root.fail("format_version", "expected a positive integer, got " + shown);
  }
  const int64_t version = node.get<int64_t>();
  if (version > kFormatVersion) {
    root.fail("format_version", std::to_string(version) + " is newer than this attn supports (up to " +
                                    std::to_string(kFormatVersion) + "); a newer attn is needed to read this file");
  }
  return static_cast<int>(version);
}

Tokenizer parse_tokenizer(const JsonReader& section, const ModelConfig& config, const std::string& where,
                          int format_version) {
  std::vector<const char*> keys = {"kind",           "lowercase",      "strip_accents", "split_cjk",
                                   "continuation_prefix", "max_word_chars", "special_tokens", "vocab"};
  if (format_version >= 2) keys.push_back("wrap");
  section.expect_object(keys);
  const std::string kind = section.string("kind");
  if (kind != "wordpiece") section.fail("kind", "\"" + kind + "\" is not supported (supported: wordpiece)");
  TokenizerConfig tc;
  tc.lowercase = section.boolean("lowercase");
  tc.strip_accents = section.boolean("strip_accents");
  tc.split_cjk = section.boolean("split_cjk");
  tc.continuation_prefix = section.string("continuation_prefix");
  const int64_t max_word_chars = section.integer("max_word_chars");
  if (max_word_chars < 1 || max_word_chars > kMaxDimension) {
    section.fail("max_word_chars", std::to_string(max_word_chars) + " is out of range (expected 1 to " +
                                       std::to_string(kMaxDimension) + ")");
  }
  tc.max_word_chars = static_cast<int>(max_word_chars);
  const JsonReader special = section.child("special_tokens");
  if (format_version >= 2) {
    special.expect_object({"pad", "unk", "cls", "sep"});
    const std::pair<const char*, Wrap> wraps[] = {{to_string(Wrap::None), Wrap::None},
                                                  {to_string(Wrap::ClsSep), Wrap::ClsSep}};
    tc.wrap = parse_choice(section, "wrap", wraps);
    if (tc.wrap == Wrap::ClsSep) {  // the wrapping tokens are required with it, optional otherwise
      tc.cls_token = special.string("cls");
      tc.sep_token = special.string("sep");
    }
  } else {
    special.expect_object({"pad", "unk"});
  }
  tc.pad_token = special.string("pad");
  tc.unk_token = special.string("unk");

  const JsonReader vocab_node = section.child("vocab");
  const size_t vocab_size = vocab_node.array_size();
  if (vocab_size != static_cast<size_t>(config.vocab_size)) {
    vocab_node.fail("", "has " + std::to_string(vocab_size) + " entries, expected config.vocab_size=" +
                            std::to_string(config.vocab_size));
  }
  std::vector<std::string> vocab;
  vocab.reserve(vocab_size);
  for (size_t i = 0; i < vocab_size; ++i) {
    const auto& entry = vocab_node.node()[i];
    if (!entry.is_string()) vocab_node.element(i).fail("", "expected a string, got " + json_type_name(entry));
    vocab.push_back(entry.get<std::string>());
  }
  try {
    return Tokenizer(tc, std::move(vocab));
  } catch (const ModelError& e) {
    throw ModelError(where + ": " + e.what());  // the tokenizer names its own keys (tokenizer.vocab[4]: ...)
  }
}

std::vector<std::string> parse_labels(const JsonReader& root, const ModelConfig& config) {
  const JsonReader labels_node = root.child("labels");
  const size_t count = labels_node.array_size();
  if (count != static_cast<size_t>(config.num_labels)) {
    labels_node.fail("", "has " + std::to_string(count) + " labels, expected config.num_labels=" +
                             std::to_string(config.num_labels));
  }
  std::vector<std::string> labels;
  for (size_t i = 0; i < count; ++i) {
    const auto& entry = labels_node.node()[i];
    if (!entry.is_string()) labels_node.element(i).fail("", "expected a string, got " + json_type_name(entry));
    std::string label = entry.get<std::string>();
    if (label.empty()) labels_node.element(i).fail("", "empty label");
    for (size_t j = 0; j < labels.size(); ++j) {
      if (labels[j] == label) labels_node.element(i).fail("", "duplicate label \"" + label + "\" (first at " + std::to_string(j) + ")");
    }
    labels.push_back(std::move(label));
  }
  return labels;
}

// The values of one tensor's `data` array, each a number that is a finite float32.
void read_tensor_data(const JsonReader& tensor, const std::vector<int64_t>& shape, std::vector<float>& out,
                      size_t expected_count) {
  const JsonReader data = tensor.child("data");
  const size_t count = data.array_size();
  if (count != expected_count) {
    data.fail("", "has " + std::to_string(count) + " values, expected " + std::to_string(expected_count) +
                      " for shape " + shape_string(shape));
  }
  out.resize(count);
  const auto& values = data.node();
  for (size_t i = 0; i < count; ++i) {
    const auto& v = values[i];
    if (!v.is_number()) data.element(i).fail("", "expected a number, got " + json_type_name(v));
    const double value = v.get<double>();
    const float narrowed = static_cast<float>(value);
    if (!std::isfinite(value) || !std::isfinite(narrowed)) {
      data.element(i).fail("", "value " + v.dump() + " is not a finite float32");
    }
    out[i] = narrowed;
  }
}

// The `weights` array: each entry's name, shape and data handed to the binder in file order.
ModelWeights parse_weights(const JsonReader& section, const ModelConfig& config, const std::string& where) {
  WeightsBinder binder(config, where);
  const size_t count = section.array_size();
  for (size_t i = 0; i < count; ++i) {
    const JsonReader tensor = section.element(i);
    tensor.expect_object({"name", "shape", "data"});
    const size_t entry = binder.find(tensor.string("name"), tensor.path());
    const JsonReader shape_node = tensor.child("shape");
    std::vector<int64_t> shape;
    for (size_t k = 0; k < shape_node.array_size(); ++k) {
      const auto& dim = shape_node.node()[k];
      if (!dim.is_number_integer()) shape_node.element(k).fail("", "expected an integer, got " + json_type_name(dim));
      shape.push_back(dim.get<int64_t>());
    }
    binder.fill(entry, shape, tensor.path(), [&](std::vector<float>& out, size_t expected_count) {
      read_tensor_data(tensor, shape, out, expected_count);
    });
  }
  return binder.finish(section.path());
}

// A copy of free-form metadata, bounded: containers deeper than kMetadataDepth below "metadata", or with more than
// kMetadataMembers members, become a string that says what was left out. Metadata is never refused, and what the
// converters and the trainer write (metadata.source.files.vocab.txt, the training arguments) fits well inside;
// a model padded with a large array keeps a small copy.
constexpr int kMetadataDepth = 3;
constexpr size_t kMetadataMembers = 256;

nlohmann::json bounded_metadata(const nlohmann::json& value, int depth) {
  if (value.is_primitive()) return value;
  if (depth >= kMetadataDepth || value.size() > kMetadataMembers) {
    return std::string(value.is_object() ? "(an object" : "(an array") + " of " + std::to_string(value.size()) +
           (value.size() == 1 ? " member" : " members") + ", not kept)";
  }
  nlohmann::json kept = value.is_object() ? nlohmann::json::object() : nlohmann::json::array();
  for (const auto& [key, member] : value.items()) {
    if (value.is_object()) {
      kept[key] = bounded_metadata(member, depth + 1);
    } else {
      kept.push_back(bounded_metadata(member, depth + 1));
    }
  }
  return kept;
}

// The "metadata" object as compact JSON (bounded as above), "" when absent or not an object.
std::string metadata_json(const nlohmann::json& document) {
  const auto metadata = document.find("metadata");
  if (metadata == document.end() || !metadata->is_object()) return "";
  return bounded_metadata(*metadata, 0).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Model Model::parse(const std::string& json_text, const std::string& source) {
  nlohmann::json document;
  try {
    document = parse_json_without_duplicate_keys(json_text, source);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the 1-based position where parsing stopped.
    throw ModelError(source + ": not valid JSON (at byte " + std::to_string(e.byte) + "): " + e.what());
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond the range of a double (1e999) is JSON syntax that the parser refuses this way.
    throw ModelError(source + ": number out of range: " + e.what());
  }
  const JsonReader root(document, source, "");
  if (!document.is_object()) root.fail("", "expected a JSON object at the top level, got " + json_type_name(document));
  ModelFileInfo file_info;
  file_info.format_version = check_format_version(root);
  root.expect_object({"format_version", "config", "tokenizer", "labels", "weights", "metadata"});
  const ModelConfig config = parse_config(root.child("config").node(), source, file_info.format_version);
  Tokenizer tokenizer = parse_tokenizer(root.child("tokenizer"), config, source, file_info.format_version);
  if (tokenizer.num_wrap_ids() >= static_cast<size_t>(config.max_length)) {
    root.child("config").fail("max_length", std::to_string(config.max_length) +
                                                " leaves no room for text inside the tokenizer's wrap (expected " +
                                                "at least " + std::to_string(tokenizer.num_wrap_ids() + 1) + ")");
  }
  std::vector<std::string> labels = parse_labels(root, config);
  ModelWeights weights = parse_weights(root.child("weights"), config, source);
  file_info.metadata_json = metadata_json(document);
  // Every id the tokenizer can emit indexes an embedding row: vocab_size was checked against both.
  return Model(source, config, std::move(tokenizer), std::move(labels), std::move(weights), std::move(file_info));
}

Model Model::load(const std::string& path) {
  ModelFile file(path);
  return parse(file.read_all(), path);
}

}  // namespace attn
