// Hand-written strict decoder following the Unicode Standard's table of well-formed byte sequences (Table 3-7):
// the lead byte fixes the length and the allowed range of the second byte, which is how overlong forms,
// surrogates and values above U+10FFFF are excluded without decoding them first.
#include "attn/utf8.h"

#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include "attn/errors.h"

namespace attn {
namespace {

std::string hex_byte(unsigned char byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", static_cast<unsigned>(byte));
  return buffer;
}

std::string hex_code_point(uint32_t code_point) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(code_point));
  return buffer;
}

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Length and allowed second-byte range for a multi-byte lead; length 0 marks a byte no sequence starts with.
struct LeadInfo {
  int length;
  unsigned char second_min;
  unsigned char second_max;
  const char* second_error;  // what a second byte outside [second_min, second_max] (but a continuation) means
};

LeadInfo lead_info(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF, nullptr};
  if (lead == 0xE0) return {3, 0xA0, 0xBF, "overlong encoding"};
  if (lead == 0xED) return {3, 0x80, 0x9F, "surrogate code point (U+D800..U+DFFF)"};
  if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF, nullptr};
  if (lead == 0xF0) return {4, 0x90, 0xBF, "overlong encoding"};
  if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF, nullptr};
  if (lead == 0xF4) return {4, 0x80, 0x8F, "code point above U+10FFFF"};
  return {0, 0, 0, nullptr};
}

[[noreturn]] void fail_lead(unsigned char lead, size_t offset) {
  if (is_continuation(lead)) {
    throw InvalidUtf8Error(offset, "unexpected continuation byte " + hex_byte(lead));
  }
  if (lead == 0xC0 || lead == 0xC1) {
    throw InvalidUtf8Error(offset, "overlong encoding (lead byte " + hex_byte(lead) + ")");
  }
  if (lead >= 0xF5 && lead <= 0xF7) {
    throw InvalidUtf8Error(offset, "code point above U+10FFFF (lead byte " + hex_byte(lead) + ")");
  }
  throw InvalidUtf8Error(offset, "invalid byte " + hex_byte(lead));
}

}  // namespace

char32_t next_code_point(std::string_view text, size_t& offset) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t start = offset;
  const unsigned char lead = bytes[start];
  if (lead < 0x80) {
    ++offset;
    return lead;
  }
  const LeadInfo info = lead_info(lead);
  if (info.length == 0) fail_lead(lead, start);

  char32_t code_point = lead & (info.length == 2 ? 0x1Fu : info.length == 3 ? 0x0Fu : 0x07u);
  for (int i = 1; i < info.length; ++i) {
    const size_t at = start + static_cast<size_t>(i);
    if (at >= text.size()) {
      throw InvalidUtf8Error(start, "truncated sequence at end of text (" + std::to_string(i) + " of " +
                                        std::to_string(info.length) + " bytes)");
    }
    const unsigned char byte = bytes[at];
    if (!is_continuation(byte)) {
      throw InvalidUtf8Error(start, "truncated sequence (byte " + hex_byte(byte) + " at " + std::to_string(at) +
                                        " is not a continuation byte)");
    }
    if (i == 1 && (byte < info.second_min || byte > info.second_max)) {
      throw InvalidUtf8Error(start, std::string(info.second_error) + " (bytes " + hex_byte(lead) + " " +
                                        hex_byte(byte) + ")");
    }
    code_point = (code_point << 6) | (byte & 0x3Fu);
  }
  offset = start + static_cast<size_t>(info.length);
  return code_point;
}

std::u32string decode_utf8(std::string_view text) {
  std::u32string code_points;
  code_points.reserve(text.size());
  size_t offset = 0;
  while (offset < text.size()) code_points.push_back(next_code_point(text, offset));
  return code_points;
}

void validate_utf8(std::string_view text) {
  size_t offset = 0;
  while (offset < text.size()) {
    if (static_cast<unsigned char>(text[offset]) < 0x80) {
      ++offset;
    } else {
      next_code_point(text, offset);
    }
  }
}

void append_utf8(char32_t code_point, std::string& out) {
  const auto cp = static_cast<uint32_t>(code_point);
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      throw std::invalid_argument("append_utf8: surrogate " + hex_code_point(cp) + " is not a scalar value");
    }
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    throw std::invalid_argument("append_utf8: " + hex_code_point(cp) + " is above U+10FFFF");
  }
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t cp : code_points) append_utf8(cp, out);
  return out;
}

}  // namespace attn
