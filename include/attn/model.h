#pragma once
// A loaded model: config, tokenizer, labels and weights, and the wiring from token ids to probabilities.
#include <cstdint>
#include <string>
#include <vector>

#include "attn/config.h"
#include "attn/layers.h"
#include "attn/tokenizer.h"

namespace attn {

// Highest model format version this build reads (docs/model-format.md, docs/model-format-v2.md).
constexpr int kFormatVersion = 2;

struct ModelWeights {
  EmbeddingWeights embedding;
  std::vector<EncoderBlockWeights> layers;  // [num_layers]
  LayerNormWeights final_norm;              // pre-norm models only, else empty
  ClassifierWeights classifier;
};

// Attention weights of one input: [num_layers][num_heads][length][length], row-major, over its real tokens.
struct AttentionMaps {
  int num_layers = 0;
  int num_heads = 0;
  int length = 0;
  std::vector<float> data;
  std::vector<float> pooling;  // [length] the attention-pooling weights, for models that pool by attention

  float at(int layer, int head, int query, int key) const {
    return data[((static_cast<size_t>(layer) * num_heads + head) * length + query) * length + key];
  }
  float* layer_data(int layer) { return data.data() + static_cast<size_t>(layer) * num_heads * length * length; }
};

struct Prediction {
  std::vector<float> logits;         // [num_labels]
  std::vector<float> probabilities;  // [num_labels], softmax of logits
  int label = 0;                     // argmax (the first on ties)
};

// What a model file says about itself besides the model: the engine never depends on it.
struct ModelFileInfo {
  int format_version = 1;
  // The file's "metadata" object (how the model was made; metadata.source: where an imported one came from) as
  // compact JSON, deep or large members replaced by a note (model_json.cpp), or "" when the file has none.
  std::string metadata_json;
};

class Model {
 public:
  Model(std::string source, ModelConfig config, Tokenizer tokenizer, std::vector<std::string> labels,
        ModelWeights weights, ModelFileInfo file_info = {});

  // Reads and checks a JSON model file of format 1 or 2 (the JSON reader, src/model/model_json.cpp; the binary cache in
  // model_cache.h is the other reader). Throws ModelError naming the file, the key, expected and actual.
  static Model load(const std::string& path);
  // The same from a string already in memory; `source` names it in messages.
  static Model parse(const std::string& json_text, const std::string& source);

  const std::string& source() const { return source_; }
  const ModelConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const ModelWeights& weights() const { return weights_; }
  const ModelFileInfo& file_info() const { return file_info_; }
  size_t parameter_count() const;

  // Most text tokens per input: max_length less the ids the tokenizer wraps a text in.
  size_t text_budget() const { return static_cast<size_t>(config_.max_length) - tokenizer_.num_wrap_ids(); }
  // The first text_budget() tokens of text, wrapped as the model reads them.
  Encoding encode(std::string_view text) const;

  // Runs several encoded inputs as one packed batch. Every input must have 1..max_length ids in range.
  // When attention is non-null it is resized to the batch and filled per input.
  std::vector<Prediction> predict(const std::vector<const Encoding*>& batch, Workspace& work,
                                  std::vector<AttentionMaps>* attention = nullptr) const;
  std::vector<Prediction> predict(const std::vector<const Encoding*>& batch,
                                  std::vector<AttentionMaps>* attention = nullptr) const;

 private:
  // predict() for one group of inputs that fits the caches.
  std::vector<Prediction> predict_group(const std::vector<const Encoding*>& batch, Workspace& work,
                                        std::vector<AttentionMaps>* attention) const;
  std::string source_;
  ModelConfig config_;
  Tokenizer tokenizer_;
  std::vector<std::string> labels_;
  ModelWeights weights_;
  ModelFileInfo file_info_;
  std::vector<float> positions_;  // [max_length, embedding_width]
};

}  // namespace attn
