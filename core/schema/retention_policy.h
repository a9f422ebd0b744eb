// RetentionPolicy: a record type's `x-retention` annotation as values, for the server's
// retention job (DOMAIN.md, Retention). Records leave only through that reviewed job, which
// syncs tombstones; devices purge synced records outside the worker's working set. Parsed and
// checked when a schema loads, so a malformed policy is found before any job relies on it.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace outreach::schema {

struct RetentionPolicy {
  // How long records are kept: "dob_plus_years", "recorded_plus_years", "subject_records" (as
  // long as the records they name), or a local rule. Read by the job, not by the engine.
  std::string rule;
  std::optional<int> years;                // the period, for the *_plus_years rules
  std::string from_field;                  // the field the period runs from (date_of_birth)
  std::vector<std::string> subject_fields; // for subject_records: pointers to the records named
  bool legal_hold = false;                 // a legal hold on a record blocks its deletion
  // Who deletes: only "reviewed_server_job" is allowed (DOMAIN.md); admission lets only team
  // leaders and administrators delete, and the job runs as an administrator.
  std::string delete_by = "reviewed_server_job";
  std::string device_purge;  // when devices drop synced copies: "outside_working_set"
  std::string basis;         // the source of the rule, for people
};

// Parses `x-retention` (an object). invalid_argument, naming `collection`, if "rule" is not a
// string, "years" not a whole number from 0 to 200, "from_field", "delete_by", "device_purge"
// or "basis" not a string, "delete_by" anything but "reviewed_server_job", "subject_fields"
// not an array of strings, or "legal_hold" not a boolean. Other members (a local rule's
// parameters) are kept only in the document.
Result<RetentionPolicy> ParseRetentionPolicy(const std::string& collection,
                                             const nlohmann::json& retention);

}  // namespace outreach::schema
