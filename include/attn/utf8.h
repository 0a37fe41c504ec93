#pragma once
// Strict UTF-8 <-> code points. Inputs are never repaired: the first bad sequence is an error that gives its
// byte offset (docs/model-format.md, "Invalid UTF-8"). Accepted: exactly the Unicode scalar values
// U+0000..U+D7FF and U+E000..U+10FFFF in their shortest form, as Python's strict 'utf-8' codec accepts them.
#include <cstddef>
#include <string>
#include <string_view>

namespace attn {

// Decodes the code point that starts at text[offset] and moves offset past it. Requires offset < text.size().
// Throws InvalidUtf8Error(offset of the sequence's first byte, what) for a stray continuation byte, an invalid
// lead byte (C0, C1, F5..FF), an overlong form, a surrogate (U+D800..DFFF), a value above U+10FFFF or a sequence
// cut short (by the end of the text or by a byte that is not a continuation byte).
char32_t next_code_point(std::string_view text, size_t& offset);

// The whole text as code points; throws InvalidUtf8Error at the first bad sequence.
std::u32string decode_utf8(std::string_view text);

// Throws InvalidUtf8Error at the first bad sequence; cheaper than decode_utf8 when only validity matters.
void validate_utf8(std::string_view text);

// Appends the 1-4 byte encoding of a scalar value. Throws std::invalid_argument for a surrogate or a value
// above U+10FFFF: those come from a bug, never from decoded text.
void append_utf8(char32_t code_point, std::string& out);

std::string encode_utf8(std::u32string_view code_points);

}  // namespace attn
