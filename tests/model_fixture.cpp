#include "model_fixture.h"

#include <stdexcept>

#include "attn/errors.h"
#include "attn/model.h"
#include "attn/tensor_table.h"

namespace attn_test {

attn::ModelConfig small_config() {
  attn::ModelConfig c;
  c.vocab_size = 6;
  c.max_length = 8;
  c.d_model = 4;
  c.num_heads = 2;
  c.num_layers = 1;
  c.ffn_dim = 6;
  c.num_labels = 2;
  return c;
}

nlohmann::json weights_json(const attn::ModelConfig& config, const TensorMaker& make) {
  nlohmann::json weights = nlohmann::json::array();
  for (const attn::TensorShape& tensor : attn::tensor_shapes(config))
    weights.push_back(make(tensor.name, tensor.shape));
  return weights;
}

nlohmann::json small_model(const TensorMaker& make) {
  const attn::ModelConfig c = small_config();
  return {
      {"format_version", 1},
      {"config",
       {{"vocab_size", c.vocab_size},
        {"max_length", c.max_length},
        {"d_model", c.d_model},
        {"num_heads", c.num_heads},
        {"num_layers", c.num_layers},
        {"ffn_dim", c.ffn_dim},
        {"num_labels", c.num_labels},
        {"layer_norm_eps", 1e-6},
        {"norm_placement", "post"},
        {"activation", "relu"},
        {"positional_encoding", "sinusoidal"},
        {"attention_score", "scaled_dot"},
        {"causal", false},
        {"pooling", "mean"}}},
      {"tokenizer",
       {{"kind", "wordpiece"},
        {"lowercase", true},
        {"strip_accents", true},
        {"split_cjk", true},
        {"continuation_prefix", "##"},
        {"max_word_chars", 100},
        {"special_tokens", {{"pad", "[PAD]"}, {"unk", "[UNK]"}}},
        {"vocab", {"[PAD]", "[UNK]", "good", "bad", "film", "##s"}}}},
      {"labels", {"negative", "positive"}},
      {"weights", weights_json(c, make)},
  };
}

attn::ModelConfig small_config_v2() {
  attn::ModelConfig c = small_config();
  c.vocab_size = 8;
  c.layer_norm_eps = 1e-12f;
  c.activation = attn::Activation::GeluTanh;
  c.positional_encoding = attn::PositionalEncoding::Learned;
  c.pooling = attn::Pooling::First;
  c.embedding_dim = 6;
  c.embedding_norm = true;
  c.embedding_projection = true;
  c.head = attn::Head::BertPooler;
  return c;
}

nlohmann::json small_model_v2(const TensorMaker& make) {
  const attn::ModelConfig c = small_config_v2();
  nlohmann::json m = small_model(make);
  m["format_version"] = 2;
  auto& config = m["config"];
  config["vocab_size"] = c.vocab_size;
  config["layer_norm_eps"] = 1e-12;
  config["activation"] = "gelu_tanh";
  config["positional_encoding"] = "learned";
  config["pooling"] = "first";
  config["embedding_dim"] = c.embedding_dim;
  config["embedding_norm"] = true;
  config["embedding_projection"] = true;
  config["head"] = "bert_pooler";
  m["tokenizer"]["special_tokens"] = {{"pad", "[PAD]"}, {"unk", "[UNK]"}, {"cls", "[CLS]"}, {"sep", "[SEP]"}};
  m["tokenizer"]["wrap"] = "cls_sep";
  m["tokenizer"]["vocab"] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "good", "bad", "film", "##s"};
  m["weights"] = weights_json(c, make);
  m["metadata"] = {{"source",
                    {{"architecture", "BertForSequenceClassification"},
                     {"folder", "tiny-bert"},
                     {"weights_file", "model.safetensors"},
                     {"files", {{"config.json", "00ff"}, {"vocab.txt", "ff00"}}},
                     {"notes", {"one note"}}}}};
  return m;
}

nlohmann::json& weight_named(nlohmann::json& model, const std::string& name) {
  for (auto& tensor : model["weights"])
    if (tensor["name"] == name) return tensor;
  throw std::runtime_error("no tensor " + name);
}

std::string load_error(const std::string& text) {
  try {
    attn::Model::parse(text, "m.json");
  } catch (const attn::ModelError& e) {
    return e.what();
  }
  return "(loaded without error)";
}

}  // namespace attn_test
