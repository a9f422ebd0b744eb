// Plain JSON: the values most records hold (a string or boolean, or a flat object of them such
// as an append entry {"author":..,"at":..,"text":..}) written and read without nlohmann's
// serializer and parser, which cost several times the value itself. Byte for byte what dump()
// writes, and exactly what parse() reads (both tested); anything else is left to nlohmann.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/model/record_state.h"

namespace outreach::protocol::internal {

// True if `text` means exactly its bytes inside JSON quotes: no quote, backslash or control
// character (the only characters dump() escapes; UTF-8 is written as is).
bool IsPlainText(std::string_view text);

// Plain text of ASCII only (no byte from 0x80): plain and well-formed UTF-8 at once, in one
// pass over the text; most texts are, and a false only means the two checks must decide.
bool IsPlainAscii(std::string_view text);

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsUtf8(std::string_view text);

// Appends dump()'s text of `value` to `out` and returns true if `value` is plain (see above);
// false, writing nothing, otherwise. `is_utf8` checks a string's bytes: dump() refuses others.
bool WritePlainJson(const model::Json& value, bool (*is_utf8)(std::string_view), std::string& out);

// Reads `text` (already checked as UTF-8) into `value` and returns true if it is plain JSON
// without whitespace; false, leaving `value` alone, otherwise (the full parser decides).
bool ReadPlainJson(std::string_view text, model::Json& value);

// A value's text exactly as dump() writes it, for a value without numbers or nesting: a
// boolean, a string (escaped as dump() escapes), or an object of strings and booleans whose
// keys need no escape, in order. What else it says of an object (an append entry's id).
struct DumpedFlatValue {
  bool object = false;
  bool string_id = false;   // an object with a string member "id"
  bool supersedes = false;  // an object with a member "supersedes"
};
std::optional<DumpedFlatValue> ReadDumpedFlatValue(std::string_view text);

}  // namespace outreach::protocol::internal
