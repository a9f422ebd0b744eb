#include "sync-server/sync/sync_service.h"

#include <memory>
#include <optional>
#include <utility>

#include "core/base/hex.h"
#include "core/base/secure_bytes.h"
#include "core/merge/admission.h"
#include "core/merge/merge.h"
#include "core/merge/record_view.h"
#include "core/model/canonical_json.h"
#include "core/model/hybrid_clock.h"
#include "core/model/physical_clock.h"
#include "core/model/uuid.h"
#include "core/protocol/binary_codec.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_registry.h"
#include "core/schema/validation_problem.h"
#include "sync-server/auth/credentials.h"
#include "sync-server/sync/check_workers.h"
#include "sync-server/sync/cursor.h"
#include "sync-server/sync/folded_records.h"
#include "sync-server/sync/merged_rules.h"
#include "sync-server/sync/push_checks.h"

namespace outreach::server {
namespace {

using protocol::ChangeResult;
using protocol::Outcome;

ServiceError Refusal(int http_status, std::string error, std::string message) {
  ServiceError refusal{http_status, {}};
  refusal.body.error = std::move(error);
  refusal.body.message = std::move(message);
  return refusal;
}

// A store failure: the device retries later; nothing it sent is lost.
ServiceError StoreFailure(const Status& status) {
  return Refusal(status.code() == StatusCode::kLocked ? 503 : 500, "store_unavailable",
                 std::string(StatusCodeName(status.code())));
}

// 400: the body does not decode (as the router answers a body it cannot open).
ServiceError Malformed(const Status& status) {
  return Refusal(400, "malformed_body", status.message());
}

// Before refusing a push on its head alone: a body whose changes do not decode is malformed,
// whatever else is wrong with it (as when a push was decoded whole before anything else).
std::optional<ServiceError> Undecodable(protocol::BinaryRequestReader* reader) {
  if (reader == nullptr) return std::nullopt;
  model::Change change;
  for (std::size_t i = 0; i < reader->change_count(); ++i) {
    if (Status read = reader->Next(change); !read.ok()) return Malformed(read);
  }
  if (auto tail = reader->Finish(); !tail.ok()) return Malformed(tail.status());
  return std::nullopt;
}

// 422: the push is refused as a whole, listing each invalid change; nothing was written.
ServiceError InvalidChanges(std::vector<ChangeResult> invalid) {
  ServiceError error = Refusal(422, "invalid_changes",
                               std::to_string(invalid.size()) + " change(s) refused; none applied");
  error.body.rejected = std::move(invalid);
  return error;
}

std::string HashSchemas(const schema::SchemaRegistry& schemas) {
  model::Json all = model::Json::object();
  for (const std::string& collection : schemas.Collections()) {
    all[collection] = schemas.Find(collection)->document();
  }
  return ToHex(model::CanonicalHash(all));
}

int OpenConflicts(const schema::RecordSchema& schema, const model::RecordState& state) {
  int open = 0;
  for (const auto& conflict : merge::Conflicts(schema, state)) open += conflict.NeedsReview();
  return open;
}

// What became of one change inside a push.
struct Applied {
  ChangeResult result;
  // The change breaks a rule of its schema on the record as its author had seen it: the
  // whole push is refused (422), like a change invalid on its own.
  bool invalid = false;
  std::int64_t sequence_before = 0;  // the record's, before the change (0: it did not exist)
  std::int64_t sequence_saved = 0;   // the record's after it, when the change wrote it
};

// The schema's rules across fields on the record as merged (merged_rules.h). Problems the
// stored record already had are not this change's; new ones are its own doing when its author
// had seen the whole stored record (refused), otherwise concurrent edits made them (kept, and
// the change's outcome is a conflict for review: a worker's change is never lost). Returns the
// record's problems now, which the administrators' queue counts.
Result<std::vector<schema::ValidationProblem>> CheckMergedRules(
    const schema::RecordSchema& schema, const StoredRecord& stored,
    const model::RecordState& merged, const model::Change& change, Applied& applied) {
  std::vector<schema::ValidationProblem> problems = RuleProblems(schema, merged);
  if (problems.empty()) return problems;
  OUTREACH_ASSIGN_OR_RETURN(const model::RecordState before,
                            protocol::DecodeRecordState(stored.state));
  const auto added = schema::NewProblems(RuleProblems(schema, before), problems);
  if (added.empty()) return problems;
  ChangeResult& result = applied.result;
  if (AuthorSawRecord(before, change)) {
    applied.invalid = true;
    result.outcome = Outcome::kRejected;
    const std::string what = "change " + change.change_id + " on the record its author saw";
    result.reason = schema::ProblemsToStatus(added, what).ToString();
    return problems;
  }
  result.outcome = Outcome::kConflict;
  if (!result.reason.empty()) result.reason += "; ";
  const std::string what = change.collection + " " + change.record_id + " with concurrent edits";
  result.reason +=
      "rule_conflict: " + schema::ProblemsToStatus(added, what).message() + "; kept for review";
  return problems;
}

// Applies one change inside `push`: remembered ones are duplicates; otherwise admission and
// merge against the stored record, then its rules on the merged record. A change into another
// team's record is an error for the whole push (I6), returned as permission_denied.
Result<Applied> ApplyChange(PushTransaction& push, const schema::RecordSchema& schema,
                            const Device& device, const model::Change& change) {
  OUTREACH_ASSIGN_OR_RETURN(auto remembered, push.FindChange(change.change_id));
  if (remembered) {
    if (remembered->outcome == Outcome::kRejected) {
      return Applied{{change.change_id, Outcome::kRejected, remembered->reason}};
    }
    return Applied{{change.change_id, Outcome::kDuplicate, ""}};
  }
  OUTREACH_ASSIGN_OR_RETURN(auto stored, push.LoadRecord(change.record_id));
  model::RecordState state;
  int conflicts_before = 0;
  if (stored) {
    if (stored->team_id != device.user.team_id || stored->collection != change.collection) {
      return PermissionDeniedError("change " + change.change_id +
                                   " targets a record of another team or collection");
    }
    OUTREACH_ASSIGN_OR_RETURN(state, protocol::DecodeRecordState(stored->state));
    conflicts_before = stored->conflicts;
  }
  Applied applied{{change.change_id, Outcome::kRejected, ""}};
  if (stored) applied.sequence_before = stored->sequence;
  ChangeResult& result = applied.result;
  if (!stored && change.kind != model::ChangeKind::kCreate) {
    result.reason = "not_found: record " + change.record_id + " does not exist";
  } else if (Status admitted = merge::CheckAdmission(schema, state, change); !admitted.ok()) {
    result.reason = admitted.ToString();
  } else {
    const std::string stored_schema_version = state.schema_version;  // the merge may raise it
    const merge::MergeResult merged = merge::MergeInPlace(schema, state, change);
    result.outcome = merged.outcome;
    result.reason = merged.reason;
    if (merged.outcome != Outcome::kRejected && merged.outcome != Outcome::kDuplicate) {
      // A create was validated whole (ContentProblem); deletes and restores write no values,
      // but may end or bring back a record whose rules are broken.
      std::size_t rule_problems = 0;
      if (stored && change.kind == model::ChangeKind::kUpdate &&
          !RulesStillHold(schema, conflicts_before, stored_schema_version, change,
                          result.outcome)) {
        OUTREACH_ASSIGN_OR_RETURN(const auto problems,
                                  CheckMergedRules(schema, *stored, state, change, applied));
        if (applied.invalid) return applied;  // nothing saved or remembered: the push is refused
        rule_problems = problems.size();
      } else if (stored && (conflicts_before > 0 || change.kind == model::ChangeKind::kRestore)) {
        rule_problems = RuleProblems(schema, state).size();
      }
      const int conflicts = (result.outcome == Outcome::kConflict || conflicts_before > 0
                                 ? OpenConflicts(schema, state)
                                 : 0) +
                            static_cast<int>(rule_problems);
      OUTREACH_ASSIGN_OR_RETURN(
          applied.sequence_saved,
          push.SaveRecord(change.record_id, StoredRecord{device.user.team_id, change.collection,
                                                         protocol::EncodeRecordState(state),
                                                         conflicts}));
    }
  }
  OUTREACH_RETURN_IF_ERROR(push.RememberChange(
      change.change_id, device.id, RememberedChange{change.record_id, result.outcome, result.reason}));
  return applied;
}

}  // namespace

SyncService::SyncService(ServerStore* store, const schema::SchemaRegistry* schemas,
                         model::PhysicalClock* clock, SyncLimits limits)
    : store_(store), schemas_(schemas), clock_(clock), limits_(limits) {
  // Credentials are drawn from libsodium's generator.
  if (!EnsureSodium()) std::abort();
  schemas_hash_ = HashSchemas(*schemas_);
}

ServiceResult<Device> SyncService::Authenticate(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer ||
      authorization.size() == kBearer.size()) {
    return Refusal(401, "unauthenticated", "a device token is required (Authorization: Bearer)");
  }
  auto device = store_->FindDeviceByToken(HashSecret(authorization.substr(kBearer.size())));
  if (!device.ok()) return StoreFailure(device.status());
  if (!device->has_value()) return Refusal(401, "unauthenticated", "unknown device token");
  if ((*device)->revoked) {
    ServiceError error = Refusal(403, "device_revoked", "this device has been revoked");
    error.body.wipe = true;
    return error;
  }
  return **device;
}

ServiceResult<protocol::EnrolResponse> SyncService::Enrol(const protocol::EnrolRequest& request) {
  if (!model::IsUuid(request.device_id)) {
    return Refusal(400, "invalid_argument", "device_id must be a UUID");
  }
  const std::string token = NewDeviceToken();
  const std::int64_t now = clock_->NowMs();
  auto device = store_->Enrol(HashSecret(NormaliseEnrolmentCode(request.code)), request.device_id,
                              request.device_name.empty() ? "device" : request.device_name,
                              HashSecret(token), now, limits_.enrolment_retry_window_ms);
  if (!device.ok()) {
    if (device.status().code() == StatusCode::kUnauthenticated) {
      return Refusal(401, "unauthenticated", device.status().message());
    }
    if (device.status().code() == StatusCode::kAlreadyExists) {
      return Refusal(409, "already_exists", device.status().message());
    }
    return StoreFailure(device.status());
  }
  return protocol::EnrolResponse{protocol::kProtocolVersion, device->id, token,
                                 device->user.id, device->user.name, device->user.team_id,
                                 device->user.role, now};
}

ServiceResult<SyncReply> SyncService::Sync(const Device& device, protocol::SyncRequest request) {
  return Round(device, request, nullptr);
}

ServiceResult<SyncReply> SyncService::Sync(const Device& device, protocol::SyncRequest& request,
                                           protocol::BinaryRequestReader& reader) {
  return Round(device, request, &reader);
}

ServiceResult<SyncReply> SyncService::Round(const Device& device, protocol::SyncRequest& request,
                                            protocol::BinaryRequestReader* reader) {
  // The store's upkeep (the WAL's copy) waits while this round is answered.
  const std::unique_ptr<StoreBusy> busy = store_->Busy();
  const std::size_t pushed = reader != nullptr ? reader->change_count() : request.changes.size();
  const auto after = CursorSequence(request.cursor, device.user.team_id);
  if (!after) {
    if (auto malformed = Undecodable(reader)) return *std::move(malformed);
    return Refusal(400, "invalid_cursor", "the cursor was not made by this server");
  }
  if (pushed > limits_.max_changes_per_push) {
    if (auto malformed = Undecodable(reader)) return *std::move(malformed);
    return Refusal(413, "too_many_changes",
                   "at most " + std::to_string(limits_.max_changes_per_push) +
                       " changes per push");
  }
  const std::int64_t now = clock_->NowMs();
  // Everything that needs no stored state (who may write, when, and each change's content)
  // is checked on a check worker for a large push, ahead of the changes' application
  // here (and a binary push is read there too): each change is applied once it is checked
  // clean. Nothing is committed until every change is checked, and the push is decided as if
  // all were read and checked first.
  if (reader != nullptr) request.changes.resize(pushed);
  std::optional<PushChecks> checks_storage;
  if (reader != nullptr) {
    checks_storage.emplace(device, *schemas_, now, request.changes, *reader,
                           &request.schemas_hash);
  } else {
    checks_storage.emplace(device, *schemas_, now, request.changes);
  }
  PushChecks& checks = *checks_storage;
  SyncReply reply;
  FoldedRecords folded(*after, protocol::FoldsExactly(request.version));
  std::unique_ptr<PushTransaction> push;
  std::optional<ServiceError> apply_error;  // the first change that could not be applied
  std::vector<ChangeResult> rule_invalid;   // changes that break a rule on what their author saw
  std::size_t next = 0;  // the change the loop below is at, or stopped short of
  for (; next < request.changes.size() && checks.CleanUpTo(next); ++next) {
    const model::Change& change = request.changes[next];
    if (!push) {
      auto begun = store_->BeginPush();
      if (!begun.ok()) {
        apply_error = StoreFailure(begun.status());
        break;
      }
      push = *std::move(begun);
    }
    auto applied = ApplyChange(*push, *schemas_->Find(change.collection), device, change);
    if (!applied.ok()) {
      apply_error = applied.status().code() == StatusCode::kPermissionDenied
                        ? Refusal(403, "permission_denied", applied.status().message())
                        : StoreFailure(applied.status());
      break;
    }
    if (applied->invalid) {
      // Go on, so the refusal lists every such change; nothing is committed.
      rule_invalid.push_back(std::move(applied->result));
      continue;
    }
    folded.Note(change.record_id, applied->result.outcome, applied->sequence_before,
                applied->sequence_saved);
    const Outcome outcome = applied->result.outcome;
    reply.changes_applied += outcome == Outcome::kApplied || outcome == Outcome::kMerged ||
                             outcome == Outcome::kConflict;
    reply.conflicts_opened += outcome == Outcome::kConflict;
    reply.response.results.push_back(std::move(applied->result));
  }
  // A push that stopped short (a change not clean, or one not applied) commits nothing: the
  // store's writer is free for other devices while the rest of it is read and checked.
  // (Leaving without Commit rolls a push back.)
  if (next < request.changes.size()) push.reset();
  // The push is decided as if read and checked whole first: a body that does not decode, then
  // the first refusal of who may write or when, then invalid content, then what applying found.
  const PushChecks::Verdict& verdict = checks.Finish();
  if (verdict.undecodable) return Malformed(*verdict.undecodable);
  if (verdict.scope_violation) return Refusal(403, "permission_denied", *verdict.scope_violation);
  if (verdict.clock_skew) return ClockSkewRefusal(device, *verdict.clock_skew, now);
  if (!verdict.invalid.empty()) return InvalidChanges(verdict.invalid);
  if (apply_error) return *std::move(apply_error);
  if (!rule_invalid.empty()) return InvalidChanges(std::move(rule_invalid));
  const bool touched = push != nullptr;
  if (push) {
    // Every reading of the push, duplicates' too: saying more than the server holds only
    // makes a device re-stamp higher, never lower (ClockSkewRefusal).
    model::Hlc newest;
    for (const model::Change& change : request.changes) {
      newest = std::max(newest, change.version.hlc);
    }
    if (Status raised = push->RaiseStoredReading(device.id, newest); !raised.ok()) {
      return StoreFailure(raised);
    }
    // Seen now, in the push's commit. (A statement that fails may have rolled the whole
    // transaction back: nothing more is written in it.)
    if (Status seen = push->TouchDevice(device.id, now); !seen.ok()) return StoreFailure(seen);
    if (Status committed = push->Commit(); !committed.ok()) return StoreFailure(committed);
    push.reset();  // the store's writer is free again: the page below reads it
    folded.Seal();
    // A push a worker read is freed there (check_workers.h), alongside the page read below:
    // nothing after this reads its changes.
    if (reader != nullptr && checks.on_worker()) {
      DestroyOnCheckWorker(std::exchange(request.changes, {}));
    }
  }

  std::uint32_t page_size = request.page_size == 0 ? limits_.default_page_size : request.page_size;
  page_size = std::min(page_size, limits_.max_page_size);
  // Only a push leaves records out (the device folds them itself): otherwise the page is read
  // whole, in one scan.
  PullSkip skip;
  if (folded.SkipsAny()) skip = [&folded](std::int64_t sequence) { return folded.Skips(sequence); };
  auto page = store_->Pull(device.user.team_id, *after, page_size, skip, folded.SkipCount());
  if (!page.ok()) return StoreFailure(page.status());
  for (PulledRecord& record : page->records) reply.encoded_records.push_back(std::move(record.state));
  reply.response.cursor =
      MakeCursor(device.user.team_id, page->last_sequence == 0 ? *after : page->last_sequence);
  reply.response.has_more = page->has_more;
  reply.response.server_time_ms = now;
  reply.response.schemas_hash = schemas_hash_;
  // A device that says which schemas it has (1.1) is told to fetch ours before applying this
  // answer: its records may be of a collection it does not know yet.
  reply.response.directives.schemas_changed =
      !request.schemas_hash.empty() && request.schemas_hash != schemas_hash_;
  // A sighting alone never refuses a sync.
  if (!touched) (void)store_->TouchDevice(device.id, now);
  return reply;
}

ServiceError SyncService::ClockSkewRefusal(const Device& device, const Status& skew,
                                           std::int64_t now) {
  // With the server's time, what it holds of this device: readings of a push whose refusal
  // the device never heard need not hold its re-stamping up (core/replica's RestampPending).
  auto stored = store_->StoredReading(device.id);
  if (!stored.ok()) return StoreFailure(stored.status());
  ServiceError error = Refusal(409, "clock_skew", skew.message());
  error.body.server_time_ms = now;
  error.body.stored_reading = *stored;
  return error;
}

Result<std::string> SyncService::IssueEnrolmentCode(std::string_view user_name) {
  OUTREACH_ASSIGN_OR_RETURN(User user, store_->FindUser(user_name));
  const std::string code = NewEnrolmentCode();
  OUTREACH_RETURN_IF_ERROR(store_->AddEnrolmentCode(
      user.id, HashSecret(code), clock_->NowMs() + limits_.enrolment_code_ttl_ms));
  return code;
}

}  // namespace outreach::server
