// The checks of a pushed change that need no stored state, made before the change is applied:
// who may push it (I6: the device's own team, its own user, role and device id) and whether
// its content is valid for its collection's schema. Separate from admission (core/merge),
// which needs the record as it stands.
#pragma once

#include <optional>
#include <string>

#include "core/model/change.h"
#include "sync-server/store/server_store.h"

namespace outreach::schema {
class SchemaRegistry;
}

namespace outreach::server {

// A reason (ids and field names only) if `device` may not push `change`; nullopt if it may.
std::optional<std::string> ScopeViolation(const Device& device, const model::Change& change);

// A reason if the change is not valid content: malformed ids, unknown collection, a schema
// major version the server does not accept, a derived field written, or values that break the
// schema. A create is validated as a whole record; an update here only on the fields it writes
// (a rule across fields may be broken by someone else's concurrent edit, which is not this
// change's fault and would otherwise be lost): its rules across fields are checked on the
// record as merged (merged_rules.h). The change's values are lent to the validation and
// are back in place, unchanged, when it returns (why: change_checks.cc).
std::optional<std::string> ContentProblem(const schema::SchemaRegistry& schemas,
                                          model::Change& change);

}  // namespace outreach::server
