#pragma once
// The `config` section of a model file, parsed and validated once at load.
#include <cstdint>
#include <string>

namespace attn {

// Architecture choices are enums, chosen once at load; the forward pass never compares strings.
enum class NormPlacement { Post, Pre };
enum class Activation { Relu, Gelu, GeluTanh };
enum class PositionalEncoding { Sinusoidal, Learned };
enum class AttentionScore { ScaledDot, Dot, Additive };
enum class Pooling { Mean, Max, First, Last, Attention };
// What turns the pooled vector s [d_model] into logits (format v2): s alone, or a dense [d, d] layer first,
// followed by tanh (BERT's pooler), ReLU (DistilBERT's pre_classifier) or the erf GELU (ELECTRA's head).
enum class Head { Linear, BertPooler, DistilBert, Electra };

struct ModelConfig {
  int vocab_size = 0;
  int max_length = 0;
  int d_model = 0;
  int num_heads = 0;
  int num_layers = 0;
  int ffn_dim = 0;
  int num_labels = 0;
  float layer_norm_eps = 1e-6f;
  NormPlacement norm_placement = NormPlacement::Post;
  Activation activation = Activation::Relu;
  PositionalEncoding positional_encoding = PositionalEncoding::Sinusoidal;
  AttentionScore attention_score = AttentionScore::ScaledDot;
  bool causal = false;
  Pooling pooling = Pooling::Mean;
  // Format v2 (docs/model-format-v2.md); a v1 file reads with these neutral values.
  int embedding_dim = 0;              // width e of the embeddings; 0 means d_model
  bool embedding_norm = false;        // a layer norm [e] on the summed embeddings
  bool embedding_projection = false;  // then a linear map e -> d_model
  Head head = Head::Linear;

  int head_dim() const { return d_model / num_heads; }
  int embedding_width() const { return embedding_dim > 0 ? embedding_dim : d_model; }
};

// Largest dimension and tensor a model file may declare: checked before anything is allocated.
constexpr int64_t kMaxDimension = 65536;
constexpr int64_t kMaxTensorElements = int64_t{1} << 31;

const char* to_string(NormPlacement value);
const char* to_string(Activation value);
const char* to_string(PositionalEncoding value);
const char* to_string(AttentionScore value);
const char* to_string(Pooling value);
const char* to_string(Head value);

}  // namespace attn
