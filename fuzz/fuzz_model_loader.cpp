// libFuzzer: arbitrary bytes through Model::parse.
//
// A ModelError is the documented answer to a bad file; any other exception, a sanitizer report, or a crash is
// a finding. A file that loads is then used as attn would use it: a few texts encoded and classified in one
// packed batch, with the attention maps, so that a config the loader accepted cannot break the forward pass.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "attn/errors.h"
#include "attn/model.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<attn::Model> model;
  try {
    model.emplace(attn::Model::parse(text, "fuzz.json"));
  } catch (const attn::ModelError&) {
    return 0;
  }

  const attn::ModelConfig& config = model->config();
  std::vector<attn::Encoding> encodings;
  for (const char* input : {"good film", "The plot was a tedious mess, but the acting!", "x"}) {
    try {
      encodings.push_back(model->encode(input));
    } catch (const attn::InputError&) {  // cannot happen: unknown words become the unknown token
      std::abort();
    }
  }
  std::vector<const attn::Encoding*> batch;
  for (const auto& e : encodings) {
    require(!e.ids.empty() && e.ids.size() <= static_cast<size_t>(config.max_length));
    batch.push_back(&e);
  }
  std::vector<attn::AttentionMaps> maps;
  const std::vector<attn::Prediction> predictions = model->predict(batch, &maps);
  require(predictions.size() == batch.size() && maps.size() == batch.size());
  for (const auto& p : predictions) {
    require(p.probabilities.size() == static_cast<size_t>(config.num_labels));
    require(p.label >= 0 && p.label < config.num_labels);
  }
  return 0;
}
