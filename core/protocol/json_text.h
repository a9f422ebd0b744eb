// JsonText: a value's JSON text exactly as nlohmann's dump() writes it (tested against it), for
// the texts written per record: a record's listed values are made for every record pulled, and
// dump() checks and escapes strings one character at a time, notes of hundreds included.
// Strings that need no escape are copied whole; anything else is left to dump().
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/model/record_state.h"

namespace outreach::protocol {

// Throws what dump() throws (a string that is not UTF-8).
std::string JsonText(const model::Json& value);

// JsonText of an object from its members: each key with its value's text as JsonText writes
// it, given in the object's order (keys ascending, each once). Throws as JsonText does.
std::string JsonObjectText(std::span<const std::pair<std::string_view, std::string_view>> members);

}  // namespace outreach::protocol
