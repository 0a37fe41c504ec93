#pragma once
// Typed access to a parsed JSON document with errors that name the file and the key path. Private to the model
// layer's JSON reader (model_json.cpp, config.cpp): nlohmann is no part of the public interface.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/config.h"

namespace attn {

class JsonReader {
 public:
  // `where` is the file name; `path` the key path of `node` inside it (e.g. "config").
  JsonReader(const nlohmann::json& node, std::string where, std::string path);

  const nlohmann::json& node() const { return node_; }
  const std::string& path() const { return path_; }

  // Fails unless the node is an object holding only the given keys (a typo must not be ignored).
  void expect_object(const std::vector<const char*>& allowed_keys) const;
  bool has(const char* key) const;
  JsonReader child(const char* key) const;  // required key
  JsonReader element(size_t index) const;   // array element

  int64_t integer(const char* key) const;
  double number(const char* key) const;
  bool boolean(const char* key) const;
  std::string string(const char* key) const;
  size_t array_size() const;  // fails unless the node is an array

  // "model.json: config.d_model: <message>"
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  std::string key_path(const std::string& key) const;

 private:
  const nlohmann::json& node_;
  std::string where_;
  std::string path_;
};

// The enum value a string key names, from {name, value} pairs; fails listing the supported names otherwise.
template <typename Enum, size_t N>
Enum parse_choice(const JsonReader& reader, const char* key, const std::pair<const char*, Enum> (&choices)[N]) {
  const std::string value = reader.string(key);
  std::string supported;
  for (const auto& [name, choice] : choices) {
    if (value == name) return choice;
    supported += (supported.empty() ? "" : ", ") + std::string(name);
  }
  reader.fail(key, "\"" + value + "\" is not supported (supported: " + supported + ")");
}
// Parses a model file's text, refusing a key that appears twice in one object (JSON leaves it open, and
// nlohmann would keep the last: a file with two `d_model`s must not load as either). Throws ModelError naming
// the source, and nlohmann's parse_error and out_of_range for malformed JSON.
nlohmann::json parse_json_without_duplicate_keys(const std::string& text, const std::string& source);

// The JSON type name a user would recognise: "string", "number", "array", ...
std::string json_type_name(const nlohmann::json& value);

// Parses and checks a model file's `config` object (`where` names the file for messages) under the rules of
// its format version: version 1 refuses the version-2 keys and values. Throws ModelError naming the key.
ModelConfig parse_config(const nlohmann::json& config, const std::string& where, int format_version);

}  // namespace attn
