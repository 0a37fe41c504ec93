#include "printable.h"

#include <cstdio>

#include "attn/errors.h"
#include "attn/utf8.h"

namespace attn::app {
namespace {

bool acts(char32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

void append_escape(char32_t c, std::string& out) {
  switch (c) {
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    default:
      break;
  }
  char buffer[16];
  if (c < 0x80)
    std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(c));
  else
    std::snprintf(buffer, sizeof buffer, "\\u{%04x}", static_cast<unsigned>(c));
  out += buffer;
}

}  // namespace

std::string printable(std::string_view text, bool keep_line_breaks) {
  std::string out;
  out.reserve(text.size());
  size_t offset = 0;
  while (offset < text.size()) {
    const size_t start = offset;
    char32_t c = 0;
    try {
      c = next_code_point(text, offset);
    } catch (const InvalidUtf8Error&) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned char>(text[start]));
      out += buffer;
      offset = start + 1;
      continue;
    }
    if (acts(c) && !(keep_line_breaks && c == '\n'))
      append_escape(c, out);
    else
      out.append(text, start, offset - start);
  }
  return out;
}

}  // namespace attn::app
