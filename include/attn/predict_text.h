#pragma once
// Text to prediction, the one path `classify`, `explain` and `eval` share: tokenize with the long-text policy,
// run every part (the text, or each window of a long one) through the model, combine the windows.
#include <string>
#include <string_view>
#include <vector>

#include "attn/layers.h"
#include "attn/long_text.h"
#include "attn/model.h"

namespace attn {

struct TextPrediction {
  std::string error;  // why the text could not be classified (InputError); then nothing below is set
  LongTextEncoding encoding;
  std::vector<Prediction> parts;         // [encoding.num_windows()] each part's own prediction
  std::vector<AttentionMaps> attention;  // [parts] when asked for, else empty
  Prediction combined;                   // windowed texts only: the windows' predictions combined

  // The prediction for the whole text.
  const Prediction& prediction() const { return encoding.windowed() ? combined : parts.front(); }
};

// Parts are run through the model this many at a time, so that one huge text cut into many windows needs no
// more memory for its states than an ordinary batch.
constexpr size_t kMaxPartsPerPredict = 64;

// One TextPrediction per text, in order. A text that yields no tokens or is not valid UTF-8 gets its error
// message instead; the others are classified all the same.
std::vector<TextPrediction> predict_texts(const Model& model, const std::vector<std::string_view>& texts,
                                          const LongTextOptions& options, Workspace& work, bool with_attention = false);

// The same in two steps, for a caller that reports bad texts as it reads them: the encoding (or the error) of
// one text, then the predictions of texts already encoded (those with an error are left alone).
TextPrediction encode_text(const Model& model, std::string_view text, const LongTextOptions& options);
void predict_encoded(const Model& model, std::vector<TextPrediction>& texts, const LongTextOptions& options,
                     Workspace& work, bool with_attention = false);

}  // namespace attn
