// Long-text policies: which tokens each truncation keeps, the windows, and how window predictions combine.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "attn/long_text.h"
#include "attn/predict_text.h"

namespace {

const attn::Model& tiny_model() {
  static const attn::Model model = attn::Model::load(std::string(ATTN_FIXTURES_DIR) + "/tiny-model.json");
  return model;
}

// 30 distinct one-token words of the tiny model's vocabulary (max_length 12).
const std::vector<std::string> kWords = {"the",   "was",    "it",     "and",   "good",  "is",   "fun",   "great",
                                         "music", "were",   "a",      "acting", "boring", "but",  "cafe",  "creme",
                                         "dancing", "far",  "i",      "long",  "lovely", "movie", "not",  "too",
                                         "well",  "the",    "was",    "it",    "and",   "good"};

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
  return text;
}

std::vector<std::string> slice(size_t begin, size_t end) {
  return std::vector<std::string>(kWords.begin() + begin, kWords.begin() + end);
}

}  // namespace

TEST_CASE("window starts cover the text and end on its last token", "[long_text]") {
  CHECK(attn::window_starts(30, 12, 6) == std::vector<size_t>{0, 6, 12, 18});
  CHECK(attn::window_starts(31, 12, 6) == std::vector<size_t>{0, 6, 12, 18, 19});
  CHECK(attn::window_starts(30, 12, 12) == std::vector<size_t>{0, 12, 18});
  CHECK(attn::window_starts(12, 12, 6) == std::vector<size_t>{0});
  CHECK(attn::window_starts(5, 12, 6) == std::vector<size_t>{0});
  CHECK(attn::window_starts(13, 12, 1) == std::vector<size_t>{0, 1});
}

TEST_CASE("truncating policies keep the start, the end or both ends", "[long_text]") {
  const auto& model = tiny_model();
  REQUIRE(model.config().max_length == 12);
  const std::string text = join(kWords);
  attn::LongTextOptions options;

  const auto start = attn::encode_long_text(model, text, options);
  CHECK(start.applied);
  CHECK(start.encoding.tokens == slice(0, 12));
  CHECK(start.encoding.ids == model.encode(text).ids);  // the default is exactly today's encoding
  CHECK(start.encoding.num_tokens_before_truncation == 30);
  CHECK(start.num_windows() == 1);

  options.policy = attn::LongTextPolicy::KeepEnd;
  const auto end = attn::encode_long_text(model, text, options);
  CHECK(end.encoding.tokens == slice(18, 30));
  CHECK(end.encoding.truncated());

  options.policy = attn::LongTextPolicy::KeepEnds;
  const auto ends = attn::encode_long_text(model, text, options);
  auto expected = slice(0, 6);
  for (const auto& w : slice(24, 30)) expected.push_back(w);
  CHECK(ends.encoding.tokens == expected);
  CHECK(ends.encoding.num_tokens_before_truncation == 30);
}

TEST_CASE("a short text is left alone by every policy", "[long_text]") {
  const auto& model = tiny_model();
  const std::string text = join(slice(0, 12));
  for (auto policy : {attn::LongTextPolicy::KeepStart, attn::LongTextPolicy::KeepEnd, attn::LongTextPolicy::KeepEnds,
                      attn::LongTextPolicy::Window}) {
    attn::LongTextOptions options;
    options.policy = policy;
    const auto e = attn::encode_long_text(model, text, options);
    INFO(attn::to_string(policy));
    CHECK_FALSE(e.applied);
    CHECK_FALSE(e.windowed());
    CHECK(e.encoding.tokens == slice(0, 12));
    CHECK(e.parts().size() == 1);
  }
}

TEST_CASE("windows slide over every token", "[long_text]") {
  const auto& model = tiny_model();
  attn::LongTextOptions options;
  options.policy = attn::LongTextPolicy::Window;
  const auto e = attn::encode_long_text(model, join(kWords), options);  // stride 0: max_length / 2 = 6
  CHECK(e.applied);
  CHECK(e.window_starts == std::vector<size_t>{0, 6, 12, 18});
  REQUIRE(e.windows.size() == 4);
  for (size_t w = 0; w < e.windows.size(); ++w) {
    const auto begin = e.encoding.ids.begin() + static_cast<std::ptrdiff_t>(e.window_starts[w]);
    CHECK(e.windows[w].ids == std::vector<int32_t>(begin, begin + 12));
    CHECK(e.windows[w].tokens.empty());  // the tokens are those of `encoding`, not copied per window
  }
  CHECK(e.encoding.tokens == kWords);
  CHECK_FALSE(e.encoding.truncated());

  options.stride = 10;
  CHECK(attn::encode_long_text(model, join(kWords), options).window_starts == std::vector<size_t>{0, 10, 18});
}

TEST_CASE("window predictions combine by mean or by renormalised max", "[long_text]") {
  attn::Prediction a, b;
  a.probabilities = {0.2f, 0.8f};
  b.probabilities = {0.6f, 0.4f};
  const auto mean = attn::combine_windows({&a, &b}, attn::WindowCombine::Mean);
  CHECK(mean.probabilities[0] == Approx(0.4f));
  CHECK(mean.probabilities[1] == Approx(0.6f));
  CHECK(mean.label == 1);
  const auto max = attn::combine_windows({&a, &b}, attn::WindowCombine::Max);
  CHECK(max.probabilities[0] == Approx(0.6f / 1.4f));
  CHECK(max.probabilities[1] == Approx(0.8f / 1.4f));
  CHECK(max.logits[1] == Approx(std::log(0.8f / 1.4f)));
}

TEST_CASE("window importances average where windows overlap", "[long_text]") {
  // 4 tokens, windows of 3 at 0 and 1: token 0 from window 0, token 3 from window 1, tokens 1-2 from both.
  const auto out = attn::combine_window_importance({{0.5f, 0.3f, 0.2f}, {0.1f, 0.1f, 0.8f}}, {0, 1}, 4);
  // means: 0.5, 0.2, 0.15, 0.8; total 1.65
  const std::vector<float> expected = {0.5f / 1.65f, 0.2f / 1.65f, 0.15f / 1.65f, 0.8f / 1.65f};
  REQUIRE(out.size() == 4);
  for (size_t i = 0; i < 4; ++i) CHECK(out[i] == Approx(expected[i]));
}

TEST_CASE("predict_texts: each text as predicted alone, windows combined, bad texts reported in place", "[long_text]") {
  const auto& model = tiny_model();
  attn::LongTextOptions options;
  options.policy = attn::LongTextPolicy::Window;
  const std::string long_text = join(kWords), short_text = join(slice(0, 5));
  attn::Workspace work;
  const auto results = attn::predict_texts(model, {short_text, "\xff", long_text}, options, work, true);
  REQUIRE(results.size() == 3);
  CHECK(results[1].error.find("invalid UTF-8") != std::string::npos);

  const attn::Encoding alone = model.encode(short_text);
  CHECK(results[0].error.empty());
  CHECK(results[0].prediction().logits == model.predict({&alone})[0].logits);
  CHECK(results[0].attention.size() == 1);

  const auto windows = attn::encode_long_text(model, long_text, options);
  const auto each = model.predict(windows.parts());
  REQUIRE(results[2].parts.size() == each.size());
  std::vector<const attn::Prediction*> parts;
  for (size_t w = 0; w < each.size(); ++w) {
    CHECK(results[2].parts[w].logits == each[w].logits);
    parts.push_back(&each[w]);
  }
  CHECK(results[2].prediction().probabilities == attn::combine_windows(parts, options.combine).probabilities);
  CHECK(results[2].attention.size() == each.size());
}
