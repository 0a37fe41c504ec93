#include "attn/tensor_table.h"

#include <stdexcept>

namespace attn {

int64_t TensorShape::elements() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

std::vector<TensorBinding> tensor_table(const ModelConfig& c, ModelWeights& w) {
  if (w.layers.size() != static_cast<size_t>(c.num_layers)) {
    throw std::logic_error("tensor_table: weights have " + std::to_string(w.layers.size()) + " layers, the config " +
                           std::to_string(c.num_layers));
  }
  const int64_t d = c.d_model, f = c.ffn_dim, e = c.embedding_width();
  std::vector<TensorBinding> table;
  auto add = [&](std::string name, std::vector<int64_t> shape, std::vector<float>& storage, size_t offset = 0) {
    TensorBinding binding;
    binding.name = std::move(name);
    binding.shape = std::move(shape);
    binding.storage = &storage;
    binding.offset = offset;
    table.push_back(std::move(binding));
  };
  add("embedding.weight", {c.vocab_size, e}, w.embedding.table);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    EncoderBlockWeights& layer = w.layers[l];
    const char* projections[] = {"query", "key", "value"};
    for (size_t i = 0; i < 3; ++i) {
      add(p + "attention." + projections[i] + ".weight", {d, d}, layer.attention.qkv_weight,
          i * static_cast<size_t>(d * d));
      add(p + "attention." + projections[i] + ".bias", {d}, layer.attention.qkv_bias, i * static_cast<size_t>(d));
    }
    add(p + "attention.output.weight", {d, d}, layer.attention.output_weight);
    add(p + "attention.output.bias", {d}, layer.attention.output_bias);
    add(p + "attention_norm.weight", {d}, layer.attention_norm.gamma);
    add(p + "attention_norm.bias", {d}, layer.attention_norm.beta);
    add(p + "ffn.linear1.weight", {f, d}, layer.ffn.linear1_weight);
    add(p + "ffn.linear1.bias", {f}, layer.ffn.linear1_bias);
    add(p + "ffn.linear2.weight", {d, f}, layer.ffn.linear2_weight);
    add(p + "ffn.linear2.bias", {d}, layer.ffn.linear2_bias);
    add(p + "ffn_norm.weight", {d}, layer.ffn_norm.gamma);
    add(p + "ffn_norm.bias", {d}, layer.ffn_norm.beta);
    if (c.attention_score == AttentionScore::Additive) {
      add(p + "attention.additive_v", {c.num_heads, d / c.num_heads}, layer.attention.additive_v);
    }
  }
  if (c.positional_encoding == PositionalEncoding::Learned) {
    add("position_embedding.weight", {c.max_length, e}, w.embedding.positions);
  }
  if (c.embedding_norm) {
    add("embedding_norm.weight", {e}, w.embedding.norm.gamma);
    add("embedding_norm.bias", {e}, w.embedding.norm.beta);
  }
  if (c.embedding_projection) {
    add("embedding_projection.weight", {d, e}, w.embedding.projection_weight);
    add("embedding_projection.bias", {d}, w.embedding.projection_bias);
  }
  if (c.norm_placement == NormPlacement::Pre) {
    add("final_norm.weight", {d}, w.final_norm.gamma);
    add("final_norm.bias", {d}, w.final_norm.beta);
  }
  if (c.pooling == Pooling::Attention) add("pooling.query", {d}, w.classifier.pooling_query);
  if (c.head != Head::Linear) {
    add("head.dense.weight", {d, d}, w.classifier.head_weight);
    add("head.dense.bias", {d}, w.classifier.head_bias);
  }
  add("classifier.weight", {c.num_labels, d}, w.classifier.weight);
  add("classifier.bias", {c.num_labels}, w.classifier.bias);
  return table;
}

std::vector<TensorView> tensor_table(const ModelConfig& config, const ModelWeights& weights) {
  // The table only takes the fields' addresses; nothing is written through them here.
  std::vector<TensorView> views;
  for (auto& binding : tensor_table(config, const_cast<ModelWeights&>(weights))) {
    TensorView view;
    view.name = std::move(binding.name);
    view.shape = std::move(binding.shape);
    view.data = binding.storage->data() + binding.offset;
    views.push_back(std::move(view));
  }
  return views;
}

std::vector<TensorShape> tensor_shapes(const ModelConfig& config) {
  ModelWeights scratch;
  scratch.layers.resize(static_cast<size_t>(config.num_layers));
  std::vector<TensorShape> shapes;
  for (auto& binding : tensor_table(config, scratch)) shapes.push_back(std::move(binding));
  return shapes;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace attn
