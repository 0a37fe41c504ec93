#include "json_text.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include <nlohmann/json.hpp>

namespace attn::app {

void append_json_string(std::string& out, std::string_view s) {
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
      out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

void append_json_float(std::string& out, float value) {
  if (!std::isfinite(value)) {  // JSON has no NaN or infinity; nlohmann writes null too
    out += "null";
    return;
  }
  if (std::signbit(value)) {
    out += '-';
    value = -value;
  }
  if (value == 0.0f) {
    out += "0.0";
    return;
  }
  // The digits json_float reads back (to_chars' shortest form: plain, or d.ddde+xx when that is shorter; large
  // whole floats come out plain with all their digits), as significant digits and the position n of the
  // decimal point after the first n of them; then laid out the way nlohmann lays out its own digits.
  char text[48];
  const auto result = std::to_chars(text, text + sizeof text, value);
  char digits[48];
  int k = 0;   // significant digits so far
  int n = 0;   // digits before the decimal point, leading zeros excluded
  bool point = false;
  const char* p = text;
  for (; p < result.ptr && *p != 'e'; ++p) {
    if (*p == '.') {
      point = true;
    } else if (k == 0 && *p == '0') {
      if (point) --n;  // 0.00ddd: each zero after the point moves it one place left of the digits
    } else {
      digits[k++] = *p;
      if (!point) ++n;
    }
  }
  if (p < result.ptr) {  // e[+-]xx
    int exponent = 0;
    std::from_chars(p + (p[1] == '+' ? 2 : 1), result.ptr, exponent);
    n += exponent;
  }
  while (k > 1 && digits[k - 1] == '0') --k;  // 1200 is 12 with the point 4 places on
  constexpr int kMinExp = -4, kMaxExp = 15;
  if (k <= n && n <= kMaxExp) {  // ddd000.0
    out.append(digits, static_cast<size_t>(k));
    out.append(static_cast<size_t>(n - k), '0');
    out += ".0";
  } else if (0 < n && n <= kMaxExp) {  // dd.dd
    out.append(digits, static_cast<size_t>(n));
    out += '.';
    out.append(digits + n, static_cast<size_t>(k - n));
  } else if (kMinExp < n && n <= 0) {  // 0.000dd
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out.append(digits, static_cast<size_t>(k));
  } else {  // d.dde-05, de+20
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits + 1, static_cast<size_t>(k - 1));
    }
    const int shown = n - 1;
    out += shown < 0 ? "e-" : "e+";
    const int magnitude = shown < 0 ? -shown : shown;
    if (magnitude < 10) out += '0';
    append_json_uint(out, static_cast<std::uint64_t>(magnitude));
  }
}

double json_float(float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  *result.ptr = '\0';
  return std::strtod(buffer, nullptr);
}

void append_json_uint(std::string& out, std::uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

}  // namespace attn::app
