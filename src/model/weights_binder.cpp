#include "weights_binder.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "attn/errors.h"

namespace attn {
namespace {

std::string config_context(const ModelConfig& c) {
  const std::string embedding =
      c.embedding_width() != c.d_model ? ", embedding_dim=" + std::to_string(c.embedding_width()) : "";
  return "vocab_size=" + std::to_string(c.vocab_size) + ", d_model=" + std::to_string(c.d_model) + embedding +
         ", ffn_dim=" + std::to_string(c.ffn_dim) + ", num_labels=" + std::to_string(c.num_labels);
}

}  // namespace

WeightsBinder::WeightsBinder(const ModelConfig& config, std::string source)
    : config_(config), source_(std::move(source)) {
  for (const TensorShape& tensor : tensor_shapes(config_)) {
    if (tensor.elements() > kMaxTensorElements) {
      throw ModelError(source_ + ": config: tensor " + tensor.name + " would have shape " + shape_string(tensor.shape) +
                       " (" + std::to_string(tensor.elements()) + " elements, more than the limit of " +
                       std::to_string(kMaxTensorElements) + ")");
    }
  }
  weights_.layers.resize(static_cast<size_t>(config_.num_layers));
  table_ = tensor_table(config_, weights_);
  seen_at_.resize(table_.size());
  std::map<const std::vector<float>*, size_t> storage_total;
  for (size_t i = 0; i < table_.size(); ++i) {
    index_.emplace(table_[i].name, i);
    storage_total[table_[i].storage] += static_cast<size_t>(table_[i].elements());
  }
  for (const TensorBinding& binding : table_) storage_size_.push_back(storage_total[binding.storage]);
}

void WeightsBinder::fail(const std::string& path, const std::string& message) const {
  throw ModelError(source_ + ": " + path + ": " + message);
}

size_t WeightsBinder::find(const std::string& name, const std::string& path) {
  const auto it = index_.find(name);
  if (it == index_.end()) {
    fail(path + ".name",
         "unknown tensor \"" + name + "\" for this config (" + std::to_string(config_.num_layers) + " layers)");
  }
  const size_t entry = it->second;
  if (!seen_at_[entry].empty()) {
    fail(path + ".name", "duplicate tensor \"" + name + "\" (first at " + seen_at_[entry] + ")");
  }
  seen_at_[entry] = path;
  return entry;
}

void WeightsBinder::fill(size_t entry, const std::vector<int64_t>& shape, const std::string& path,
                         const ValueReader& read) {
  const TensorBinding& binding = table_[entry];
  if (shape != binding.shape) {
    fail(path, "\"" + binding.name + "\" has shape " + shape_string(shape) + ", expected " +
                   shape_string(binding.shape) + " (" + config_context(config_) + ")");
  }
  const auto count = static_cast<size_t>(binding.elements());
  std::vector<float>& storage = *binding.storage;
  if (storage_size_[entry] == count) {
    read(storage, count);
    if (storage.size() != count)
      fail(path, "has " + std::to_string(storage.size()) + " values, expected " + std::to_string(count));
    return;
  }
  // Query, key and value: read apart, stacked into the layer's one [3 * d_model, d_model] matrix (allocated when
  // the first of them arrives, so that a file without them allocates nothing).
  std::vector<float> part;
  read(part, count);
  if (part.size() != count)
    fail(path, "has " + std::to_string(part.size()) + " values, expected " + std::to_string(count));
  if (storage.size() != storage_size_[entry]) storage.assign(storage_size_[entry], 0.0f);
  std::copy(part.begin(), part.end(), storage.begin() + static_cast<std::ptrdiff_t>(binding.offset));
}

ModelWeights WeightsBinder::finish(const std::string& list_path) {
  std::string missing;
  size_t missing_count = 0;
  for (size_t i = 0; i < table_.size(); ++i) {
    if (seen_at_[i].empty()) {
      missing += (missing.empty() ? "" : ", ") + table_[i].name;
      ++missing_count;
    }
  }
  if (missing_count > 0) {
    fail(list_path,
         std::to_string(missing_count) + " missing tensor" + (missing_count > 1 ? "s" : "") + ": " + missing);
  }
  table_.clear();
  return std::move(weights_);
}

}  // namespace attn
