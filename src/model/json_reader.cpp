#include "json_reader.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "attn/errors.h"

namespace attn {

std::string json_type_name(const nlohmann::json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  return value.type_name();
}

nlohmann::json parse_json_without_duplicate_keys(const std::string& text, const std::string& source) {
  // The keys seen in each object being parsed, and the key path to it (arrays shown as "[]").
  std::vector<std::set<std::string>> keys;
  std::vector<std::string> path;
  auto check = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start || event == Event::array_start) {
      keys.emplace_back();
      path.push_back(event == Event::array_start ? "[]" : "");
    } else if (event == Event::object_end || event == Event::array_end) {
      keys.pop_back();
      path.pop_back();
    } else if (event == Event::key) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(key).second) {
        std::string where;
        for (size_t i = 0; i + 1 < path.size(); ++i) where += path[i] == "[]" || where.empty() ? path[i] : "." + path[i];
        throw ModelError(source + ": " + (where.empty() ? "" : where + ": ") + "duplicate key \"" + key + "\"");
      }
      path.back() = key;
    }
    return true;
  };
  return nlohmann::json::parse(text, check);
}

JsonReader::JsonReader(const nlohmann::json& node, std::string where, std::string path)
    : node_(node), where_(std::move(where)), path_(std::move(path)) {}

std::string JsonReader::key_path(const std::string& key) const {
  if (path_.empty()) return key;
  if (key.empty()) return path_;
  if (key[0] == '[') return path_ + key;
  return path_ + "." + key;
}

void JsonReader::fail(const std::string& key, const std::string& message) const {
  const std::string at = key_path(key);
  throw ModelError(where_ + ": " + (at.empty() ? "" : at + ": ") + message);
}

void JsonReader::expect_object(const std::vector<const char*>& allowed_keys) const {
  if (!node_.is_object()) fail("", "expected an object, got " + json_type_name(node_));
  for (const auto& item : node_.items()) {
    const bool known = std::any_of(allowed_keys.begin(), allowed_keys.end(),
                                   [&](const char* k) { return item.key() == k; });
    if (!known) {
      std::string list;
      for (const char* k : allowed_keys) list += (list.empty() ? "" : ", ") + std::string(k);
      fail(item.key(), "unknown key (expected one of: " + list + ")");
    }
  }
}

bool JsonReader::has(const char* key) const { return node_.is_object() && node_.contains(key); }

JsonReader JsonReader::child(const char* key) const {
  if (!node_.is_object()) fail("", "expected an object, got " + json_type_name(node_));
  auto it = node_.find(key);
  if (it == node_.end()) fail(key, "missing");
  return JsonReader(*it, where_, key_path(key));
}

JsonReader JsonReader::element(size_t index) const {
  return JsonReader(node_.at(index), where_, key_path("[" + std::to_string(index) + "]"));
}

int64_t JsonReader::integer(const char* key) const {
  const auto& value = child(key).node();
  if (!value.is_number_integer()) fail(key, "expected an integer, got " + json_type_name(value));
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    fail(key, "integer out of range");
  return value.get<int64_t>();
}

double JsonReader::number(const char* key) const {
  const auto& value = child(key).node();
  if (!value.is_number()) fail(key, "expected a number, got " + json_type_name(value));
  return value.get<double>();
}

bool JsonReader::boolean(const char* key) const {
  const auto& value = child(key).node();
  if (!value.is_boolean()) fail(key, "expected true or false, got " + json_type_name(value));
  return value.get<bool>();
}

std::string JsonReader::string(const char* key) const {
  const auto& value = child(key).node();
  if (!value.is_string()) fail(key, "expected a string, got " + json_type_name(value));
  return value.get<std::string>();
}

size_t JsonReader::array_size() const {
  if (!node_.is_array()) fail("", "expected an array, got " + json_type_name(node_));
  return node_.size();
}

}  // namespace attn
