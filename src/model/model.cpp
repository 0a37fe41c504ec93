#include "attn/model.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "attn/errors.h"
#include "attn/ops.h"
#include "attn/tensor_table.h"

namespace attn {

Model::Model(std::string source, ModelConfig config, Tokenizer tokenizer, std::vector<std::string> labels,
             ModelWeights weights, ModelFileInfo file_info)
    : source_(std::move(source)),
      config_(config),
      tokenizer_(std::move(tokenizer)),
      labels_(std::move(labels)),
      weights_(std::move(weights)),
      file_info_(std::move(file_info)),
      positions_(config.positional_encoding == PositionalEncoding::Learned
                     ? weights_.embedding.positions
                     : sinusoidal_positions(config.max_length, config.embedding_width())) {
  pack_weights(weights_.embedding, config_);
  for (auto& layer : weights_.layers) pack_weights(layer, config_.d_model, config_.ffn_dim);
  pack_weights(weights_.classifier, config_.d_model, config_.num_labels);
}

Encoding Model::encode(std::string_view text) const {
  Encoding encoding = tokenizer_.encode(text, text_budget());
  tokenizer_.wrap(encoding);
  return encoding;
}

size_t Model::parameter_count() const {
  size_t count = 0;
  for (const TensorShape& tensor : tensor_shapes(config_)) count += static_cast<size_t>(tensor.elements());
  return count;
}

std::vector<Prediction> Model::predict(const std::vector<const Encoding*>& batch,
                                       std::vector<AttentionMaps>* attention) const {
  Workspace work;
  return predict(batch, work, attention);
}

std::vector<Prediction> Model::predict(const std::vector<const Encoding*>& batch, Workspace& work,
                                       std::vector<AttentionMaps>* attention) const {
  for (size_t b = 0; b < batch.size(); ++b) {
    const auto& ids = batch[b]->ids;
    if (ids.empty() || ids.size() > static_cast<size_t>(config_.max_length)) {
      throw InputError("input " + std::to_string(b) + " has " + std::to_string(ids.size()) +
                       " tokens (expected 1 to " + std::to_string(config_.max_length) + ")");
    }
    for (int32_t id : ids) {
      if (id < 0 || id >= config_.vocab_size) {
        throw InputError("input " + std::to_string(b) + ": token id " + std::to_string(id) + " is outside the vocabulary");
      }
    }
  }
  // The inputs in groups of at most group_tokens tokens (an input longer than that alone), each group through
  // every layer before the next: a group's activations (128 KiB of states, 384 KiB of q, k, v) stay in the core's
  // caches between the products, where a whole batch's would go out to memory and back at every step. A layer's
  // weights (about 12 d_model^2 floats) are read once per group, so past d_model 128 the floor of 2 d_model tokens
  // keeps each weight loaded for at least 4 d_model FLOPs (bench/RESULTS.md, "Profiles behind design choices").
  constexpr size_t kGroupElements = 32768;
  const size_t d_model = static_cast<size_t>(config_.d_model);
  const size_t group_tokens = std::max(kGroupElements / d_model, 2 * d_model);
  std::vector<Prediction> predictions;
  predictions.reserve(batch.size());
  if (attention != nullptr) attention->clear();
  std::vector<const Encoding*> group;
  std::vector<AttentionMaps> group_maps;
  for (size_t begin = 0; begin < batch.size();) {
    size_t end = begin + 1;
    size_t tokens = batch[begin]->ids.size();
    while (end < batch.size() && tokens + batch[end]->ids.size() <= group_tokens) tokens += batch[end++]->ids.size();
    group.assign(batch.begin() + static_cast<std::ptrdiff_t>(begin), batch.begin() + static_cast<std::ptrdiff_t>(end));
    auto part = predict_group(group, work, attention != nullptr ? &group_maps : nullptr);
    std::move(part.begin(), part.end(), std::back_inserter(predictions));
    if (attention != nullptr) std::move(group_maps.begin(), group_maps.end(), std::back_inserter(*attention));
    begin = end;
  }
  return predictions;
}

std::vector<Prediction> Model::predict_group(const std::vector<const Encoding*>& batch, Workspace& work,
                                             std::vector<AttentionMaps>* attention) const {
  const int d = config_.d_model;
  BatchLayout layout;
  for (const Encoding* encoding : batch) layout.add(static_cast<int>(encoding->ids.size()));

  std::vector<const int32_t*> ids;
  for (const Encoding* encoding : batch) ids.push_back(encoding->ids.data());
  embed_batch(weights_.embedding, config_, positions_, ids, layout, work);

  std::vector<float*> layer_weights_out;
  if (attention != nullptr) {
    attention->assign(batch.size(), AttentionMaps{});
    for (int b = 0; b < layout.size(); ++b) {
      auto& maps = (*attention)[b];
      maps.num_layers = config_.num_layers;
      maps.num_heads = config_.num_heads;
      maps.length = layout.lengths[b];
      maps.data.resize(static_cast<size_t>(maps.num_layers) * maps.num_heads * maps.length * maps.length);
      if (config_.pooling == Pooling::Attention) maps.pooling.resize(maps.length);
    }
    layer_weights_out.resize(batch.size());
  }
  for (int l = 0; l < config_.num_layers; ++l) {
    if (attention != nullptr) {
      for (int b = 0; b < layout.size(); ++b) layer_weights_out[b] = (*attention)[b].layer_data(l);
    }
    encoder_block(weights_.layers[l], config_, layout, work, attention != nullptr ? layer_weights_out.data() : nullptr);
  }

  if (config_.norm_placement == NormPlacement::Pre) {
    ops::layer_norm(work.states.data(), layout.total_tokens, d, weights_.final_norm.gamma.data(),
                    weights_.final_norm.beta.data(), config_.layer_norm_eps);
  }

  const int num_labels = config_.num_labels;
  std::vector<float> logits(static_cast<size_t>(layout.size()) * num_labels);
  std::vector<float*> pooling_weights_out;
  if (attention != nullptr && config_.pooling == Pooling::Attention) {
    for (auto& maps : *attention) pooling_weights_out.push_back(maps.pooling.data());
  }
  pool_and_classify(weights_.classifier, config_, layout, work, logits.data(),
                    pooling_weights_out.empty() ? nullptr : pooling_weights_out.data());

  std::vector<Prediction> predictions(batch.size());
  for (int b = 0; b < layout.size(); ++b) {
    auto& p = predictions[b];
    p.logits.assign(logits.begin() + b * num_labels, logits.begin() + (b + 1) * num_labels);
    p.probabilities = p.logits;
    ops::softmax(p.probabilities.data(), num_labels);
    p.label = static_cast<int>(std::max_element(p.logits.begin(), p.logits.end()) - p.logits.begin());
  }
  return predictions;
}

}  // namespace attn
