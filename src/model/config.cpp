#include "attn/config.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "json_reader.h"

namespace attn {
namespace {

int parse_dimension(const JsonReader& config, const char* key, int64_t min_value) {
  const int64_t value = config.integer(key);
  if (value < min_value || value > kMaxDimension) {
    config.fail(key, std::to_string(value) + " is out of range (expected " + std::to_string(min_value) + " to " +
                         std::to_string(kMaxDimension) + ")");
  }
  return static_cast<int>(value);
}

constexpr std::pair<const char*, NormPlacement> kNormPlacements[] = {{"post", NormPlacement::Post},
                                                                     {"pre", NormPlacement::Pre}};
constexpr std::pair<const char*, Activation> kActivations[] = {
    {"relu", Activation::Relu}, {"gelu", Activation::Gelu}, {"gelu_tanh", Activation::GeluTanh}};
constexpr std::pair<const char*, PositionalEncoding> kPositionalEncodings[] = {
    {"sinusoidal", PositionalEncoding::Sinusoidal}, {"learned", PositionalEncoding::Learned}};
constexpr std::pair<const char*, AttentionScore> kAttentionScores[] = {
    {"scaled_dot", AttentionScore::ScaledDot}, {"dot", AttentionScore::Dot}, {"additive", AttentionScore::Additive}};
constexpr std::pair<const char*, Pooling> kPoolings[] = {{"mean", Pooling::Mean},
                                                         {"max", Pooling::Max},
                                                         {"first", Pooling::First},
                                                         {"last", Pooling::Last},
                                                         {"attention", Pooling::Attention}};
constexpr std::pair<const char*, Head> kHeads[] = {{"linear", Head::Linear},
                                                   {"bert_pooler", Head::BertPooler},
                                                   {"distilbert", Head::DistilBert},
                                                   {"electra", Head::Electra}};

template <typename Enum, size_t N>
const char* name_of(Enum value, const std::pair<const char*, Enum> (&choices)[N]) {
  for (const auto& [name, choice] : choices)
    if (choice == value) return name;
  return "?";
}

// The keys of format v2 beyond v1's: embedding_dim, embedding_norm, embedding_projection and head.
void parse_v2_keys(const JsonReader& config, ModelConfig& c) {
  c.embedding_dim = parse_dimension(config, "embedding_dim", 1);
  c.embedding_norm = config.boolean("embedding_norm");
  c.embedding_projection = config.boolean("embedding_projection");
  c.head = parse_choice(config, "head", kHeads);
  if (!c.embedding_projection && c.embedding_dim != c.d_model) {
    config.fail("embedding_dim", std::to_string(c.embedding_dim) +
                                     " differs from d_model=" + std::to_string(c.d_model) +
                                     " without embedding_projection (expected " + std::to_string(c.d_model) + ")");
  }
}

}  // namespace

ModelConfig parse_config(const nlohmann::json& node, const std::string& where, int format_version) {
  JsonReader config(node, where, "config");
  std::vector<const char*> keys = {
      "vocab_size", "max_length",     "d_model",        "num_heads",  "num_layers",          "ffn_dim",
      "num_labels", "layer_norm_eps", "norm_placement", "activation", "positional_encoding", "attention_score",
      "causal",     "pooling"};
  if (format_version >= 2) keys.insert(keys.end(), {"embedding_dim", "embedding_norm", "embedding_projection", "head"});
  config.expect_object(keys);
  ModelConfig c;
  c.vocab_size = parse_dimension(config, "vocab_size", 1);
  c.max_length = parse_dimension(config, "max_length", 1);
  c.d_model = parse_dimension(config, "d_model", 1);
  c.num_heads = parse_dimension(config, "num_heads", 1);
  c.num_layers = parse_dimension(config, "num_layers", 1);
  c.ffn_dim = parse_dimension(config, "ffn_dim", 1);
  c.num_labels = parse_dimension(config, "num_labels", 2);
  if (c.d_model % c.num_heads != 0) {
    config.fail("num_heads", std::to_string(c.num_heads) + " does not divide d_model=" + std::to_string(c.d_model));
  }
  // Read as a double and narrowed once: BERT's 1e-12 is a normal float (about 1e-12 + 4e-21).
  const double eps = config.number("layer_norm_eps");
  if (!(eps > 0.0) || eps > 1.0) config.fail("layer_norm_eps", "must be in (0, 1], got " + std::to_string(eps));
  c.layer_norm_eps = static_cast<float>(eps);
  if (!(c.layer_norm_eps > 0.0f)) {  // 1e-50 is above 0 as a double, and 0 as the float the model uses
    std::ostringstream message;
    message << eps << " is 0 as a float32 (the smallest above 0 is " << std::numeric_limits<float>::denorm_min() << ")";
    config.fail("layer_norm_eps", message.str());
  }
  c.norm_placement = parse_choice(config, "norm_placement", kNormPlacements);
  c.activation = parse_choice(config, "activation", kActivations);
  if (c.activation == Activation::GeluTanh && format_version < 2) {
    config.fail("activation",
                "\"gelu_tanh\" needs format_version 2 (this file is version " + std::to_string(format_version) + ")");
  }
  c.positional_encoding = parse_choice(config, "positional_encoding", kPositionalEncodings);
  c.attention_score = parse_choice(config, "attention_score", kAttentionScores);
  c.causal = config.boolean("causal");
  c.pooling = parse_choice(config, "pooling", kPoolings);
  if (format_version >= 2) parse_v2_keys(config, c);
  return c;
}

const char* to_string(NormPlacement value) { return name_of(value, kNormPlacements); }
const char* to_string(Activation value) { return name_of(value, kActivations); }
const char* to_string(PositionalEncoding value) { return name_of(value, kPositionalEncodings); }
const char* to_string(AttentionScore value) { return name_of(value, kAttentionScores); }
const char* to_string(Pooling value) { return name_of(value, kPoolings); }
const char* to_string(Head value) { return name_of(value, kHeads); }

}  // namespace attn
