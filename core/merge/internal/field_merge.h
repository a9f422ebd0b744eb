// The per-policy merge steps. Each applies one write to one field's state and returns whether
// the state changed. All are joins: commutative, associative and idempotent, which is what
// makes Merge order-independent.
#pragma once

#include <string>

#include "core/model/change.h"
#include "core/model/record_state.h"

namespace outreach::merge::detail {

// Multi-value register: drop the candidates the write's base covers, add the write's value
// unless this replica has already seen (applied or superseded) its version.
bool ApplyRegisterWrite(model::RegisterState& state, const model::RegisterWrite& write,
                        const model::Version& version, const std::string& author);

// Append: union of entries by (entry id, version); an entry already present is left as it is.
bool ApplyAppendWrite(model::AppendState& state, const model::AppendWrite& write,
                      const model::Version& version, const std::string& author);

// Set: additions and removals are recorded with their versions (an observed-remove set);
// what is in the set and what is in conflict is derived by record_view.
bool ApplySetWrite(model::SetState& state, const model::SetWrite& write,
                   const model::Version& version);

// Deletions as a register of their own: a delete replaces the deletions its base covers with
// itself, a restore just drops them; both are ignored once seen (applied or superseded).
bool ApplyDeletion(model::RecordState& state, const model::Change& change);
bool ApplyRestore(model::RecordState& state, const model::Change& change);

}  // namespace outreach::merge::detail
