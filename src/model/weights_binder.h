#pragma once
// The one place where tensors read from a model file meet ModelWeights. A format reader (model_json.cpp, the
// binary cache) walks its file and hands each tensor over by name, shape and a function that reads its values;
// the binder checks it against the tensor table (known, not seen twice, the right shape) and stores it in its
// field. Private to the model layer.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "attn/config.h"
#include "attn/model.h"
#include "attn/tensor_table.h"

namespace attn {

class WeightsBinder {
 public:
  // Reads `count` values into `out` (exactly count of them, or throws ModelError naming the value).
  using ValueReader = std::function<void(std::vector<float>& out, size_t count)>;

  // `source` names the file in messages. Refuses a config whose tensors would be absurdly large before anything
  // is allocated for them.
  WeightsBinder(const ModelConfig& config, std::string source);

  // The table entry of the tensor at `path` in the file ("weights[3]") called `name`: refuses a name the
  // config does not call for, or one seen before.
  size_t find(const std::string& name, const std::string& path);
  // Checks the shape the file declares against the table, then has read() fill the tensor's values.
  void fill(size_t entry, const std::vector<int64_t>& shape, const std::string& path, const ValueReader& read);
  // The weights, once every tensor came; otherwise all missing names in one message about `list_path`
  // ("weights").
  ModelWeights finish(const std::string& list_path);

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& message) const;

  ModelConfig config_;
  std::string source_;
  ModelWeights weights_;
  std::vector<TensorBinding> table_;
  std::unordered_map<std::string, size_t> index_;  // name -> entry
  std::vector<std::string> seen_at_;               // per entry: the path it came from, "" until then
  std::vector<size_t> storage_size_;  // per entry: the elements of its storage (more than its own when stacked)
};

}  // namespace attn
