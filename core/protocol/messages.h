// The sync protocol's messages (DESIGN.md section 4), independent of their encoding: cereal
// portable binary + zstd for devices (binary_codec.h), JSON for debugging and other clients
// (json_codec.h). Both encodings carry the same fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/merge/merge.h"
#include "core/model/change.h"
#include "core/model/hlc.h"
#include "core/model/record_state.h"

namespace outreach::protocol {

// A request of an unknown major version is refused (unsupported_protocol); a newer minor of the
// same major is served (fields it added are ignored by older peers).
struct ProtocolVersion {
  std::uint8_t major = 1;
  std::uint8_t minor = 0;

  bool operator==(const ProtocolVersion&) const = default;
};
// 1.1 added SyncRequest::schemas_hash. 1.2 adds no field: a device writing it folds its
// accepted changes into what it holds with this merge code (merge rules 1), so the server may
// leave records the device can make exactly out of a push's answer
// (sync-server/sync/folded_records.h). 1.3 carries each record state packed
// (internal/packed_record.h) behind its length; a server answers a request in the request's
// minor, so a 1.2 device still gets records in archive form.
inline constexpr ProtocolVersion kProtocolVersion{1, 3};
// The minors whose devices fold with the merge rules of this code: from kFoldingMinor to
// kProtocolVersion.minor. A change of the merge rules must raise kFoldingMinor to a new minor:
// older devices then get their records back from a newer server, and a newer device writing
// an older minor to an older server (RequestVersion takes the lower) must not claim to fold.
inline constexpr std::uint8_t kFoldingMinor = 2;
// 1.3 keeps the merge rules of 1.2.
static_assert(kFoldingMinor == 2 && kProtocolVersion.minor == 3,
              "a new minor: decide whether it keeps the merge rules of 1.2 (FoldsExactly)");
// Whether a request of `version` (of this major) comes from a device that folds exactly as
// this code merges.
constexpr bool FoldsExactly(ProtocolVersion version) {
  return version.minor >= kFoldingMinor && version.minor <= kProtocolVersion.minor;
}

inline constexpr std::string_view kBinaryContentType = "application/vnd.outreach.sync.v1+cereal";
inline constexpr std::string_view kJsonContentType = "application/json";

// "1.0"; parse accepts "<major>.<minor>" with each part 0..255.
std::string VersionString(ProtocolVersion version);
Result<ProtocolVersion> ParseVersionString(std::string_view text);

// What the server did with one pushed change: the merge engine's outcome (a kRejected change
// stays on the device, marked with the reason).
using merge::Outcome;
using merge::OutcomeName;
Result<Outcome> ParseOutcome(std::string_view name);

struct ChangeResult {
  std::string change_id;
  Outcome outcome = Outcome::kApplied;
  std::string reason;  // for kRejected: a status code name and message (ids, field names only)

  bool operator==(const ChangeResult&) const = default;
};

struct SyncRequest {
  ProtocolVersion version = kProtocolVersion;
  std::string cursor;            // opaque; empty: from the beginning
  std::uint32_t page_size = 0;   // records wanted at most in this pull; 0: the server's default
  std::vector<model::Change> changes;
  // The hash of the schema set the device validates with (its last GET /v1/schemas): the
  // server answers directives.schemas_changed when it is not its own. Since 1.1; empty from a
  // 1.0 device (which compares SyncResponse::schemas_hash itself).
  std::string schemas_hash;

  bool operator==(const SyncRequest&) const = default;
};

struct Directives {
  bool wipe = false;             // the device is revoked: destroy its data now
  // The request's schemas_hash is not the server's: GET /v1/schemas and reload them before
  // applying this answer's records (they may be of a collection the device does not know).
  bool schemas_changed = false;

  bool operator==(const Directives&) const = default;
};

struct SyncResponse {
  ProtocolVersion version = kProtocolVersion;
  std::vector<ChangeResult> results;  // one per pushed change, in push order
  // The state of each record of the device's scope that changed after the cursor, once each,
  // in the order the server committed their latest change.
  std::vector<model::RecordState> records;
  std::string cursor;
  bool has_more = false;
  std::int64_t server_time_ms = 0;
  Directives directives;
  std::string schemas_hash;  // of the server's schema set; devices compare it with theirs

  bool operator==(const SyncResponse&) const = default;
};

// POST /v1/enrol (JSON only: small, once per device).
struct EnrolRequest {
  ProtocolVersion version = kProtocolVersion;
  std::string code;         // the one-time enrolment code
  std::string device_id;    // made by the device (UUIDv7): a retried enrolment stays one device
  std::string device_name;  // shown to administrators

  bool operator==(const EnrolRequest&) const = default;
};

struct EnrolResponse {
  ProtocolVersion version = kProtocolVersion;
  std::string device_id;
  std::string token;  // the device's bearer token; the server keeps only its hash
  std::string user_id;
  std::string user_name;
  std::string team;
  std::string role;
  std::int64_t server_time_ms = 0;

  bool operator==(const EnrolResponse&) const = default;
};

// Every 4xx/5xx body: {"error": "<code>", "message": "...", ...}.
struct ErrorBody {
  std::string error;    // stable lower_snake code: "body_too_large", "clock_skew", ...
  std::string message;  // for people; ids and field names only
  std::int64_t server_time_ms = 0;  // set for clock_skew
  bool wipe = false;                // set for a revoked device
  std::vector<ChangeResult> rejected;  // set for invalid_changes (422): each refused change
  // For clock_skew: the highest reading of this device's changes the server stores ({0, 0}:
  // none), so the device re-stamps above it and no higher (README.md). Absent when the server
  // does not know (an older server; a device enrolled before the server kept it).
  std::optional<model::Hlc> stored_reading;

  bool operator==(const ErrorBody&) const = default;
};

}  // namespace outreach::protocol
