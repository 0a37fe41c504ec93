#include "attn/predict_text.h"

#include <algorithm>
#include <cmath>

#include "attn/errors.h"

namespace attn {

TextPrediction encode_text(const Model& model, std::string_view text, const LongTextOptions& options) {
  TextPrediction out;
  try {
    out.encoding = encode_long_text(model, text, options);
  } catch (const InputError& e) {
    out.error = e.what();
  }
  return out;
}

void predict_encoded(const Model& model, std::vector<TextPrediction>& texts, const LongTextOptions& options,
                     Workspace& work, bool with_attention) {
  std::vector<const Encoding*> parts;   // every part of every text, in order
  std::vector<TextPrediction*> owners;  // [parts] the text each part belongs to
  for (TextPrediction& text : texts) {
    if (!text.error.empty()) continue;
    for (const Encoding* part : text.encoding.parts()) {
      parts.push_back(part);
      owners.push_back(&text);
    }
  }
  std::vector<const Encoding*> chunk;
  std::vector<AttentionMaps> chunk_attention;
  for (size_t begin = 0; begin < parts.size(); begin += kMaxPartsPerPredict) {
    const size_t end = std::min(parts.size(), begin + kMaxPartsPerPredict);
    chunk.assign(parts.begin() + static_cast<std::ptrdiff_t>(begin), parts.begin() + static_cast<std::ptrdiff_t>(end));
    std::vector<Prediction> predictions = model.predict(chunk, work, with_attention ? &chunk_attention : nullptr);
    for (size_t p = 0; p < predictions.size(); ++p) {
      TextPrediction& owner = *owners[begin + p];
      owner.parts.push_back(std::move(predictions[p]));
      if (with_attention) owner.attention.push_back(std::move(chunk_attention[p]));
    }
  }
  for (TextPrediction& text : texts) {
    if (!text.error.empty()) continue;
    // Scores that overflowed (a model whose weights are too large for float) give NaN probabilities, and an
    // argmax over them means nothing: the text gets an error, never a label.
    for (const Prediction& part : text.parts) {
      if (!std::all_of(part.logits.begin(), part.logits.end(), [](float v) { return std::isfinite(v); })) {
        text.error = "the model's scores are not finite numbers (overflow in the model); no label";
      }
    }
    if (!text.error.empty() || !text.encoding.windowed()) continue;
    std::vector<const Prediction*> windows;
    for (const Prediction& part : text.parts) windows.push_back(&part);
    text.combined = combine_windows(windows, options.combine);
  }
}

std::vector<TextPrediction> predict_texts(const Model& model, const std::vector<std::string_view>& texts,
                                          const LongTextOptions& options, Workspace& work, bool with_attention) {
  std::vector<TextPrediction> out;
  out.reserve(texts.size());
  for (std::string_view text : texts) out.push_back(encode_text(model, text, options));
  predict_encoded(model, out, options, work, with_attention);
  return out;
}

}  // namespace attn
