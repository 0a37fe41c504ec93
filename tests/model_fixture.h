#pragma once
// The small valid model file the loader tests edit into bad ones: vocab 6, d_model 4, 2 heads, 1 layer, ffn 6,
// 2 labels; its weights follow the tensor table (19 tensors, classifier.bias last, at weights[18]).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/config.h"

namespace attn_test {

// One entry of `weights`, {"name", "shape", "data"}, with the data a test chooses.
using TensorMaker = std::function<nlohmann::json(const std::string& name, const std::vector<int64_t>& shape)>;

attn::ModelConfig small_config();

// The whole model file for small_config(), each tensor of its table made by `make`.
nlohmann::json small_model(const TensorMaker& make);

// A format-v2 file in the style of an imported BERT-family model: vocab 8 ([CLS] and [SEP] added), embedding_dim 6
// projected to d_model 4, the embedding norm, learned positions, gelu_tanh, first-token pooling, the bert_pooler
// head and the cls_sep wrap; max_length 8 (a text budget of 6), layer_norm_eps 1e-12, metadata.source.
attn::ModelConfig small_config_v2();
nlohmann::json small_model_v2(const TensorMaker& make);

// The entry of `weights` called `name` (std::runtime_error if there is none).
nlohmann::json& weight_named(nlohmann::json& model, const std::string& name);

// The ModelError message of loading `text` as "m.json", or "(loaded without error)".
std::string load_error(const std::string& text);

// The `weights` array of any config, in table order.
nlohmann::json weights_json(const attn::ModelConfig& config, const TensorMaker& make);

}  // namespace attn_test
