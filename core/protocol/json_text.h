// JsonText: a value's JSON text exactly as nlohmann's dump() writes it (tested against it), for
// the texts written per record: a record's listed values are made for every record pulled, and
// dump() checks and escapes strings one character at a time, notes of hundreds included.
// Strings that need no escape are copied whole; anything else is left to dump().
#pragma once

#include <string>

#include "core/model/record_state.h"

namespace outreach::protocol {

// Throws what dump() throws (a string that is not UTF-8).
std::string JsonText(const model::Json& value);

}  // namespace outreach::protocol
