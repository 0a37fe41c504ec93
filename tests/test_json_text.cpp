// The direct JSON writers against nlohmann's dump of the same values, which they replace in the output records.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "json_text.h"

namespace {

std::string direct_float(float value) {
  std::string out;
  attn::app::append_json_float(out, value);
  return out;
}

std::string nlohmann_float(float value) { return nlohmann::json(attn::app::json_float(value)).dump(); }

std::string direct_string(const std::string& s) {
  std::string out;
  attn::app::append_json_string(out, s);
  return out;
}

std::string nlohmann_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

// nlohmann's Grisu2 is not always shortest: for about 0.15 % of probabilities it prints 17 digits
// (0.8277003000000001 for the float 0.8277003). The direct writer prints the shortest digits; both texts read
// back as json_float(value), so a reader gets the same number.
TEST_CASE("append_json_float prints nlohmann's layout of json_float, with the shortest digits", "[json_text]") {
  // Each layout and its edges: whole numbers (".0"), the decimal point inside the digits, 0.000ddd down to the
  // 4 leading zeros nlohmann allows, exponents of one, two and three digits, both signs, subnormals, large
  // whole floats (printed with all their digits).
  const float cases[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, 0.5f, 0.25f, 0.1f, 0.9731234f, 0.99999994f, 1e-3f,
                         1.5e-3f, 1e-4f, 1.2345e-4f, 9.99999e-5f, 1e-5f, 3.3e-5f, 1e-10f, 1e15f, 9.999999e14f,
                         1.234567e15f, 1e16f, 123456.78f, 3e20f, std::numeric_limits<float>::max(),
                         std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min(), 1e-40f,
                         -2.5e-7f, 65536.0f, 16777216.0f, 16777217.0f, 90282311680.0f, 1828084864.0f};
  for (float value : cases) {
    INFO(value);
    CHECK(direct_float(value) == nlohmann_float(value));
  }
  for (float value : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity()}) {
    CHECK(direct_float(value) == "null");
    CHECK(nlohmann_float(value) == "null");
  }
  CHECK(direct_float(0.8277003f) == "0.8277003");
  CHECK(nlohmann_float(0.8277003f) == "0.8277003000000001");  // the case above; if it changes, so may this test
  // Probabilities as the output has them, and arbitrary finite bit patterns.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  int same = 0, shorter = 0, wrong = 0;
  const auto compare = [&](float value) {
    const std::string direct = direct_float(value), reference = nlohmann_float(value);
    const bool reads_back = std::strtod(direct.c_str(), nullptr) == attn::app::json_float(value);
    if (direct == reference) {
      ++same;
    } else if (reads_back && direct.size() < reference.size() &&
               std::strtod(reference.c_str(), nullptr) == attn::app::json_float(value)) {
      ++shorter;
    } else {
      ++wrong;
    }
  };
  for (int i = 0; i < 200000; ++i) {
    compare(unit(rng));
    const auto bits = static_cast<std::uint32_t>(rng());
    float any;
    std::memcpy(&any, &bits, sizeof any);
    if (std::isfinite(any)) compare(any);
  }
  CHECK(wrong == 0);
  CHECK(shorter < same / 100);
}

TEST_CASE("append_json_string prints what nlohmann prints, invalid UTF-8 replaced", "[json_text]") {
  const std::string cases[] = {"", "positive", "a b/c", "say \"hi\"", "back\\slash", "tab\there", "line\nbreak",
                               std::string("nul\0byte", 8), "\x7f", "caf\xc3\xa9", "bad \xff byte", "cut \xe2\x82",
                               "\xf0\x9f\x98\x80 emoji", "ctrl \x01\x1f"};
  for (const auto& s : cases) {
    INFO(s);
    CHECK(direct_string(s) == nlohmann_string(s));
  }
  std::mt19937 rng(11);
  int mismatches = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 12, ' ');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 0x20 + rng() % 95);
    mismatches += direct_string(s) != nlohmann_string(s);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("append_json_uint", "[json_text]") {
  std::string out;
  attn::app::append_json_uint(out, 0);
  out += ',';
  attn::app::append_json_uint(out, 18446744073709551615ull);
  CHECK(out == "0,18446744073709551615");
}
