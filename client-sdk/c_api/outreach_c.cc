// The C ABI (outreach.h) over outreach::Client. Each function is one call to Guard or
// WithClient (internal/), which own the error mapping and the per-handle lock; the lambdas here
// only translate arguments and results.
#include <cstdlib>
#include <utility>

#include "client-sdk/c_api/internal/c_boundary.h"
#include "client-sdk/c_api/internal/client_handle.h"
#include "client-sdk/c_api/internal/open_stores.h"
#include "client-sdk/c_api/outreach.h"
#include "client-sdk/client.h"
#include "client-sdk/client_json.h"

namespace {

using outreach::Client;
using outreach::Result;
using outreach::Status;
using outreach::model::Json;
using namespace outreach::c_api::detail;

// outreach_status mirrors StatusCode value for value, so Guard can return a code as is.
constexpr bool StatusCodesMirrored() {
  using outreach::StatusCode;
  constexpr std::pair<outreach_status, StatusCode> kMirror[] = {
      {OUTREACH_OK, StatusCode::kOk},
      {OUTREACH_INVALID_ARGUMENT, StatusCode::kInvalidArgument},
      {OUTREACH_NOT_FOUND, StatusCode::kNotFound},
      {OUTREACH_ALREADY_EXISTS, StatusCode::kAlreadyExists},
      {OUTREACH_WRONG_KEY, StatusCode::kWrongKey},
      {OUTREACH_CORRUPT, StatusCode::kCorrupt},
      {OUTREACH_IO, StatusCode::kIo},
      {OUTREACH_LOCKED, StatusCode::kLocked},
      {OUTREACH_FAILED_PRECONDITION, StatusCode::kFailedPrecondition},
      {OUTREACH_CONSTRAINT, StatusCode::kConstraint},
      {OUTREACH_RESOURCE_EXHAUSTED, StatusCode::kResourceExhausted},
      {OUTREACH_ABORTED, StatusCode::kAborted},
      {OUTREACH_INTERNAL, StatusCode::kInternal},
      {OUTREACH_CLOCK_SKEW, StatusCode::kClockSkew},
      {OUTREACH_UNAVAILABLE, StatusCode::kUnavailable},
      {OUTREACH_UNAUTHENTICATED, StatusCode::kUnauthenticated},
      {OUTREACH_PERMISSION_DENIED, StatusCode::kPermissionDenied},
  };
  for (const auto& [c_code, code] : kMirror) {
    if (static_cast<int>(c_code) != static_cast<int>(code)) return false;
  }
  return true;
}
static_assert(StatusCodesMirrored(), "outreach_status must mirror outreach::StatusCode");

// A call on a handle whose result is text (an id) in `*out`.
template <typename Produce>
int TextOut(outreach_client* handle, char** out, Produce&& produce) noexcept {
  ClearOut(out);
  return WithClient(handle, [&](outreach_client& locked) -> Status {
    OUTREACH_ASSIGN_OR_RETURN(std::string text, produce(*locked.client));
    return CopyOut(text, out);
  });
}

// A call on a handle whose result is JSON text in `*out`.
template <typename Produce>
int JsonOut(outreach_client* handle, char** out, Produce&& produce) noexcept {
  return TextOut(handle, out, [&](Client& sdk) -> Result<std::string> {
    if (out == nullptr) return outreach::InvalidArgumentError("out_json is NULL");
    OUTREACH_ASSIGN_OR_RETURN(Json json, produce(sdk));
    return outreach::JsonText(json);
  });
}

// Releases a claimed store unless the handle that owns it was made.
struct StoreClaim {
  std::string key;
  bool handed_over = false;
  ~StoreClaim() {
    if (!handed_over) ReleaseStore(key);
  }
};

}  // namespace

extern "C" {

const char* outreach_last_error(void) noexcept { return LastError(); }

const char* outreach_status_name(int status) noexcept {
  // Every name is a string literal, so data() is NUL-terminated.
  return outreach::StatusCodeName(static_cast<outreach::StatusCode>(status)).data();
}

void outreach_free_string(char* text) noexcept { std::free(text); }

int outreach_client_open(const char* dir, const char* passcode,
                         outreach_client** out_client) noexcept {
  return Guard([&]() -> Status {
    if (out_client == nullptr) return outreach::InvalidArgumentError("out_client is NULL");
    *out_client = nullptr;
    OUTREACH_ASSIGN_OR_RETURN(std::string_view folder, Required(dir, "dir"));
    if (passcode == nullptr) return outreach::InvalidArgumentError("passcode is NULL");
    OUTREACH_ASSIGN_OR_RETURN(std::string key, ClaimStore(std::string(folder)));
    StoreClaim claim{key};
    auto handle = std::make_unique<outreach_client>();
    handle->store_key = key;
    OUTREACH_ASSIGN_OR_RETURN(handle->client, Client::Open(std::string(folder), passcode));
    claim.handed_over = true;
    *out_client = handle.release();
    return Status::Ok();
  });
}

void outreach_client_close(outreach_client** client) noexcept {
  (void)Guard([&]() -> Status {
    if (client == nullptr || *client == nullptr) return Status::Ok();
    std::unique_ptr<outreach_client> handle(*client);
    *client = nullptr;
    const std::string key = handle->store_key;
    handle.reset();  // closes the store before another handle may claim it
    ReleaseStore(key);
    return Status::Ok();
  });
}

int outreach_store_change_passcode(const char* dir, const char* old_passcode,
                                   const char* new_passcode) noexcept {
  return Guard([&]() -> Status {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view folder, Required(dir, "dir"));
    return Client::ChangePasscode(std::string(folder), Optional(old_passcode),
                                  Optional(new_passcode));
  });
}

int outreach_store_wipe(const char* dir) noexcept {
  return Guard([&]() -> Status {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view folder, Required(dir, "dir"));
    OUTREACH_RETURN_IF_ERROR(RequireStoreClosed(std::string(folder)));
    return Client::Wipe(std::string(folder));
  });
}

int outreach_client_enrol(outreach_client* client, const char* server_url, const char* code,
                          const char* ca_file, const char* pinned_public_key,
                          const char* device_name) noexcept {
  return WithClient(client, [&](outreach_client& handle) -> Status {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view url, Required(server_url, "server_url"));
    OUTREACH_ASSIGN_OR_RETURN(std::string_view enrolment_code, Required(code, "code"));
    outreach::EnrolOptions options{std::string(Optional(ca_file)),
                                   std::string(Optional(pinned_public_key)),
                                   std::string(Optional(device_name))};
    return handle.client->Enrol(std::string(url), enrolment_code, options);
  });
}

int outreach_record_create(outreach_client* client, const char* collection, const char* values_json,
                           char** out_id) noexcept {
  return TextOut(client, out_id, [&](Client& sdk) -> Result<std::string> {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view name, Required(collection, "collection"));
    OUTREACH_ASSIGN_OR_RETURN(Json values, ParseJsonArgument(values_json, "values_json"));
    return sdk.Create(name, values);
  });
}

int outreach_record_update(outreach_client* client, const char* id,
                           const char* patch_json) noexcept {
  return WithClient(client, [&](outreach_client& handle) -> Status {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view record_id, Required(id, "id"));
    OUTREACH_ASSIGN_OR_RETURN(Json patch, ParseJsonArgument(patch_json, "patch_json"));
    return handle.client->Update(record_id, patch);
  });
}

int outreach_record_append(outreach_client* client, const char* id, const char* field,
                           const char* entry_json, char** out_entry_id) noexcept {
  return TextOut(client, out_entry_id, [&](Client& sdk) -> Result<std::string> {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view record_id, Required(id, "id"));
    OUTREACH_ASSIGN_OR_RETURN(std::string_view field_name, Required(field, "field"));
    OUTREACH_ASSIGN_OR_RETURN(Json entry, ParseJsonArgument(entry_json, "entry_json"));
    return sdk.Append(record_id, field_name, std::move(entry));
  });
}

int outreach_record_strike(outreach_client* client, const char* id, const char* field,
                           const char* entry_id, const char* reason,
                           char** out_entry_id) noexcept {
  return TextOut(client, out_entry_id, [&](Client& sdk) -> Result<std::string> {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view record_id, Required(id, "id"));
    OUTREACH_ASSIGN_OR_RETURN(std::string_view field_name, Required(field, "field"));
    OUTREACH_ASSIGN_OR_RETURN(std::string_view struck, Required(entry_id, "entry_id"));
    OUTREACH_ASSIGN_OR_RETURN(std::string_view why, Required(reason, "reason"));
    return sdk.Strike(record_id, field_name, struck, why);
  });
}

int outreach_record_withdraw(outreach_client* client, const char* id) noexcept {
  return WithClient(client, [&](outreach_client& handle) -> Status {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view record_id, Required(id, "id"));
    return handle.client->WithdrawCreate(record_id);
  });
}

int outreach_record_delete(outreach_client* client, const char* id, const char* reason) noexcept {
  return WithClient(client, [&](outreach_client& handle) -> Status {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view record_id, Required(id, "id"));
    OUTREACH_ASSIGN_OR_RETURN(std::string_view why, Required(reason, "reason"));
    return handle.client->Delete(record_id, why);
  });
}

int outreach_record_get(outreach_client* client, const char* id, char** out_json) noexcept {
  return JsonOut(client, out_json, [&](Client& sdk) -> Result<Json> {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view record_id, Required(id, "id"));
    OUTREACH_ASSIGN_OR_RETURN(auto view, sdk.Get(record_id));
    return outreach::RecordViewToJson(view);
  });
}

int outreach_record_list(outreach_client* client, const char* collection, const char* field,
                         const char* value_json, char** out_json) noexcept {
  return JsonOut(client, out_json, [&](Client& sdk) -> Result<Json> {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view name, Required(collection, "collection"));
    const std::string_view field_name = Optional(field);
    Json value = nullptr;
    if (!field_name.empty()) {
      OUTREACH_ASSIGN_OR_RETURN(value, ParseJsonArgument(value_json, "value_json"));
    }
    OUTREACH_ASSIGN_OR_RETURN(auto records, sdk.List(name, field_name, value));
    return Json(std::move(records));
  });
}

int outreach_client_sync(outreach_client* client, outreach_sync_progress_fn progress,
                         void* user_data, char** out_summary_json) noexcept {
  ClearOut(out_summary_json);
  return WithClient(client, [&](outreach_client& handle) -> Status {
    // Cleared before `syncing` is raised: a cancel seen as "running" always reaches this sync.
    handle.cancel.store(false);
    handle.syncing.store(true);
    struct EndSync {
      outreach_client& handle;
      ~EndSync() { handle.syncing.store(false); }
    } end_sync{handle};
    outreach::SyncOptions options;
    options.cancel = &handle.cancel;
    if (progress != nullptr) {
      options.progress = [&](const outreach::SyncProgress& step) {
        const outreach_sync_progress report{static_cast<int32_t>(step.phase), step.changes_done,
                                            step.changes_total, step.bytes_done, step.bytes_total};
        progress(user_data, &report);
      };
    }
    OUTREACH_ASSIGN_OR_RETURN(outreach::SyncSummary summary, handle.client->Sync(options));
    return CopyOut(outreach::JsonText(outreach::SummaryToJson(summary)), out_summary_json);
  });
}

int outreach_cancel_sync(outreach_client* client) noexcept {
  // Never takes the handle's mutex: the sync being cancelled holds it.
  return Guard([&]() -> Status {
    if (client == nullptr) return outreach::InvalidArgumentError("client is NULL");
    if (client->syncing.load()) client->cancel.store(true);
    return Status::Ok();
  });
}

int outreach_client_status(outreach_client* client, char** out_json) noexcept {
  return JsonOut(client, out_json, [](Client& sdk) -> Result<Json> {
    OUTREACH_ASSIGN_OR_RETURN(auto status, sdk.GetStatus());
    return outreach::StatusToJson(status);
  });
}

int outreach_client_conflicts(outreach_client* client, char** out_json) noexcept {
  return JsonOut(client, out_json, [](Client& sdk) -> Result<Json> {
    OUTREACH_ASSIGN_OR_RETURN(auto conflicts, sdk.Conflicts());
    return outreach::ConflictsToJson(conflicts);
  });
}

int outreach_client_rejected(outreach_client* client, char** out_json) noexcept {
  return JsonOut(client, out_json, [](Client& sdk) -> Result<Json> {
    OUTREACH_ASSIGN_OR_RETURN(auto rejected, sdk.Rejected());
    return outreach::RejectedToJson(rejected);
  });
}

int outreach_change_discard(outreach_client* client, const char* change_id) noexcept {
  return WithClient(client, [&](outreach_client& handle) -> Status {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view id, Required(change_id, "change_id"));
    return handle.client->Discard(id);
  });
}

int outreach_change_fix(outreach_client* client, const char* change_id, const char* patch_json,
                        char** out_change_id) noexcept {
  return TextOut(client, out_change_id, [&](Client& sdk) -> Result<std::string> {
    OUTREACH_ASSIGN_OR_RETURN(std::string_view id, Required(change_id, "change_id"));
    OUTREACH_ASSIGN_OR_RETURN(Json patch, ParseJsonArgument(patch_json, "patch_json"));
    return sdk.FixRejected(id, patch);
  });
}

}  // extern "C"
