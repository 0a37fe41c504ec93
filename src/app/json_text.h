#pragma once
// JSON text written straight into a string, for the per-record output of a batch run: building each record as
// an nlohmann object and dumping it allocates a node per field, for every record of every batch. The
// output is what nlohmann's dump gives for the same values, except that a number always has its shortest digits
// (nlohmann's Grisu2 gives 17 for about 0.15 % of floats); tests/test_json_text.cpp checks both.
#include <cstdint>
#include <string>
#include <string_view>

namespace attn::app {

// s as a JSON string. Printable ASCII without '"' or '\' (labels, file names, most messages) is copied as is;
// anything else goes through nlohmann's serializer, whose escaping and U+FFFD for invalid UTF-8 stay the rule.
void append_json_string(std::string& out, std::string_view s);

// value in nlohmann's layout of the double json_float(value), with its shortest round-trip float digits, in
// plain notation when the decimal point falls 4 places left of the digits to 15 right, else d.ddde-05; a
// whole number gets ".0"; NaN and infinities give null.
void append_json_float(std::string& out, float value);

void append_json_uint(std::string& out, std::uint64_t value);

// The JSON value a float prints as: its shortest round-trip float32 form (0.97312343, not 0.9731234312057495).
double json_float(float value);

}  // namespace attn::app
