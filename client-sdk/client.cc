#include "client-sdk/client.h"

#include <sys/stat.h>

#include <filesystem>

#include "client-sdk/internal/device_state.h"
#include "client-sdk/internal/sync_session.h"
#include "client-sdk/transport/http_client.h"
#include "core/merge/record_view.h"
#include "core/model/physical_clock.h"
#include "core/model/uuid.h"
#include "core/protocol/json_codec.h"
#include "core/schema/schema_registry.h"
#include "core/storage/database.h"
#include "core/storage/key_source.h"

namespace outreach {
namespace {

using model::Json;

std::string DatabasePath(const std::string& dir) { return dir + "/device.db"; }

// The page cache while a sync pushes: three times the default (OpenOptions::cache_size_kib).
// A push of max_push_batch (2,000) changes is folded while the next one is read, and at 8 MiB
// the rows read for a push were gone by its answer, read and decrypted again to fold it.
// Callgrind, the device over a push of 10,000: 1,892 M instructions in batches of 500 at
// 8 MiB; of 2,000: 2,034 M at 8 MiB, 1,945 M at 16 MiB, 1,877 M at 24 MiB. Only until the
// last push is answered (SyncContext::pushing): the cache fills as pages are used, and a long
// pull would keep it full (an initial pull's peak RSS: 37 MiB at 8 MiB, 55 MiB at 24 MiB).
constexpr int kPushingCacheKib = 24 * 1024;

storage::OpenOptions StoreOptions(const ClientOptions& options) {
  storage::OpenOptions open;
  // Applying a pulled page leaves copying the WAL into the database to a thread of its own.
  open.checkpoint_in_background = true;
  if (options.fast_kdf_for_tests) open.kdf = storage::KdfParams::FastForTests();
  open.base_vfs = options.base_vfs;
  return open;
}

// A non-200 answer as a Status, with the server's error code (never its body's values).
Status AnswerError(const client::HttpResult& answer, std::string_view what) {
  std::string code = "http " + std::to_string(answer.status);
  if (auto json = protocol::ParseJsonBody(answer.body); json.ok()) {
    if (auto error = protocol::ErrorBodyFromJson(*json); error.ok()) code = error->error;
  }
  const std::string message = std::string(what) + " refused: " + code;
  if (answer.status == 401) return UnauthenticatedError(message);
  if (answer.status == 403) return PermissionDeniedError(message);
  if (answer.status >= 500) return UnavailableError(message);
  return FailedPreconditionError(message);
}

}  // namespace

struct Client::State {
  std::string dir;
  ClientOptions options;
  model::SystemClock system_clock;
  model::PhysicalClock* clock = nullptr;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<client::DeviceState> device;
  std::unique_ptr<schema::SchemaRegistry> schemas;
  std::unique_ptr<replica::Replica> replica;
  std::unique_ptr<client::HttpClient> http;
  bool wiped = false;
  bool commits_unsynced = false;  // this connection's commits may not be synced (Sync)

  // After a sync that could not set its commits back to synced (Sync's synced_commits, an
  // error or an exception): set back before anything else is committed, a worker's save or
  // the next sync's.
  Status SyncedCommitsBack() {
    if (!commits_unsynced) return Status::Ok();
    OUTREACH_RETURN_IF_ERROR(db->SetSynchronous(storage::Synchronous::kFull));
    commits_unsynced = false;
    return Status::Ok();
  }

  Result<client::HttpClient*> Http() {
    if (http) return http.get();
    client::TransportOptions transport;
    OUTREACH_ASSIGN_OR_RETURN(transport.base_url, device->GetOr(client::kServerUrl));
    OUTREACH_ASSIGN_OR_RETURN(transport.ca_file, device->GetOr(client::kCaFile));
    OUTREACH_ASSIGN_OR_RETURN(transport.pinned_public_key, device->GetOr(client::kPin));
    // The trust chosen at enrolment, not today's default: a device enrolled when a lone pin
    // meant "system CAs and the pin" (no stored mode) must not silently stop checking CAs.
    OUTREACH_ASSIGN_OR_RETURN(const std::string trust, device->GetOr(client::kTrustMode));
    transport.lone_pin = trust == client::kTrustPinAlone
                             ? client::TransportOptions::LonePin::kPinAlone
                             : client::TransportOptions::LonePin::kSystemCasAndPin;
    OUTREACH_ASSIGN_OR_RETURN(http, client::HttpClient::Create(transport));
    return http.get();
  }

  // The server's schema set as GET /v1/schemas answers it, loaded in full. Changes nothing on
  // the device. unavailable: the server could not be reached; failed_precondition: it
  // answered something other than a schema set that loads (retrying will not help until the
  // server changes); other answers as AnswerError.
  struct ServerSchemas {
    Json documents;
    std::string hash;
    std::string protocol;
    std::unique_ptr<schema::SchemaRegistry> registry;
  };
  Result<ServerSchemas> FetchServerSchemas() {
    OUTREACH_ASSIGN_OR_RETURN(client::HttpClient * transport, Http());
    OUTREACH_ASSIGN_OR_RETURN(std::string token, device->GetOr(client::kToken));
    client::RequestOptions request;
    request.bearer_token = token;
    OUTREACH_ASSIGN_OR_RETURN(client::HttpResult answer, transport->Get("/v1/schemas", request));
    if (answer.status != 200) return AnswerError(answer, "schemas");
    auto json = protocol::ParseJsonBody(answer.body);
    if (!json.ok() || !json->is_object() || !json->contains("schemas") ||
        !(*json)["schemas"].is_object() || !json->contains("schemas_hash") ||
        !(*json)["schemas_hash"].is_string()) {
      return FailedPreconditionError("the server's schema answer is malformed");
    }
    ServerSchemas fetched;
    fetched.documents = std::move((*json)["schemas"]);
    fetched.hash = (*json)["schemas_hash"].get<std::string>();
    // The server's protocol version: syncs write no newer minor than it reads. A 1.0 server
    // does not say; stored as 1.0 all the same, or a device that saw 1.1 before the server was
    // rolled back would keep writing what that server refuses.
    fetched.protocol = "1.0";
    if (json->contains("protocol") && (*json)["protocol"].is_string()) {
      fetched.protocol = (*json)["protocol"].get<std::string>();
    }
    auto registry = ParseSchemas(fetched.documents);
    if (!registry.ok()) {
      return FailedPreconditionError("the server's schemas do not load: " +
                                     registry.status().message());
    }
    fetched.registry = std::make_unique<schema::SchemaRegistry>(std::move(registry).value());
    return fetched;
  }

  // Stores a fetched set as the device's, in one transaction.
  Status StoreSchemas(const ServerSchemas& fetched) {
    OUTREACH_ASSIGN_OR_RETURN(auto txn, db->Begin());
    OUTREACH_RETURN_IF_ERROR(device->Set(client::kSchemas, fetched.documents.dump()));
    OUTREACH_RETURN_IF_ERROR(device->Set(client::kSchemasHash, fetched.hash));
    OUTREACH_RETURN_IF_ERROR(device->Set(client::kServerProtocol, fetched.protocol));
    return txn.Commit();
  }

  // {"collection": schema document, ...} as a registry.
  static Result<schema::SchemaRegistry> ParseSchemas(const Json& documents) {
    std::map<std::string, std::string> by_name;
    for (const auto& [name, document] : documents.items()) by_name[name] = document.dump();
    return schema::SchemaRegistry::LoadFromStrings(by_name);
  }

  // During a sync whose answer carries schemas this device does not have: fetch them and
  // reopen the replica, which the sync goes on with. All or nothing: the new registry and a
  // replica on it are built in full before anything is stored or swapped, so on any error
  // the device keeps working on the schemas (and replica) it has. failed_precondition also
  // when the new set lacks a collection the device holds records of: they would become
  // unreadable. A retired collection it holds nothing of is no loss, and refusing it would
  // fail every sync from then on (the server has applied the push; its answer never would be).
  Result<replica::Replica*> ReloadSchemas() {
    OUTREACH_ASSIGN_OR_RETURN(ServerSchemas fetched, FetchServerSchemas());
    for (const std::string& collection : schemas->Collections()) {
      if (fetched.registry->Find(collection) != nullptr) continue;
      OUTREACH_ASSIGN_OR_RETURN(const bool held, replica->HoldsCollection(collection));
      if (held) {
        return FailedPreconditionError("the server's schemas lack collection " + collection +
                                       ", which this device holds; keeping the schemas it has");
      }
    }
    OUTREACH_ASSIGN_OR_RETURN(auto reopened, OpenReplica(fetched.registry.get()));
    OUTREACH_RETURN_IF_ERROR(StoreSchemas(fetched));
    // The old replica goes before the registry it points to.
    replica = std::move(reopened);
    schemas = std::move(fetched.registry);
    return replica.get();
  }

  // Opens the replica on the stored schemas and identity (after enrolment), fetching the
  // schemas first when none are stored yet.
  Status LoadReplica() {
    if (replica) return Status::Ok();
    OUTREACH_ASSIGN_OR_RETURN(std::string schema_text, device->GetOr(client::kSchemas));
    if (schema_text.empty()) {
      OUTREACH_ASSIGN_OR_RETURN(ServerSchemas fetched, FetchServerSchemas());
      OUTREACH_RETURN_IF_ERROR(StoreSchemas(fetched));
      schema_text = fetched.documents.dump();
    }
    OUTREACH_ASSIGN_OR_RETURN(Json documents, protocol::ParseJsonBody(schema_text));
    OUTREACH_ASSIGN_OR_RETURN(schema::SchemaRegistry registry, ParseSchemas(documents));
    auto loaded = std::make_unique<schema::SchemaRegistry>(std::move(registry));
    OUTREACH_ASSIGN_OR_RETURN(replica, OpenReplica(loaded.get()));
    schemas = std::move(loaded);
    return Status::Ok();
  }

  // A replica of this device's identity on `registry` (which must outlive it).
  Result<std::unique_ptr<replica::Replica>> OpenReplica(const schema::SchemaRegistry* registry) {
    replica::ReplicaIdentity identity;
    OUTREACH_ASSIGN_OR_RETURN(identity.device_id, device->GetOr(client::kDeviceId));
    OUTREACH_ASSIGN_OR_RETURN(identity.user_id, device->GetOr(client::kUserId));
    OUTREACH_ASSIGN_OR_RETURN(identity.role, device->GetOr(client::kRole));
    OUTREACH_ASSIGN_OR_RETURN(identity.team, device->GetOr(client::kTeam));
    return replica::Replica::Open(db.get(), registry, clock, identity);
  }
};

Client::Client(std::unique_ptr<State> state) : state_(std::move(state)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Open(const std::string& dir, std::string_view passcode,
                                             const ClientOptions& options) {
  auto state = std::make_unique<State>();
  state->dir = dir;
  state->options = options;
  state->clock = options.clock != nullptr ? options.clock : &state->system_clock;
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return IoError("cannot create the device folder");
  ::chmod(dir.c_str(), 0700);  // the files are encrypted; their names and sizes need not show
  const std::string path = DatabasePath(dir);
  const auto key = storage::KeySource::Passcode(passcode);
  auto db = std::filesystem::exists(storage::Database::KeyFilePath(path))
                ? storage::Database::Open(path, key, StoreOptions(options))
                : storage::Database::Create(path, key, StoreOptions(options));
  if (!db.ok()) return db.status();
  state->db = std::move(db).value();
  OUTREACH_ASSIGN_OR_RETURN(state->device, client::DeviceState::Open(state->db.get()));
  OUTREACH_ASSIGN_OR_RETURN(std::string token, state->device->GetOr(client::kToken));
  std::unique_ptr<Client> client(new Client(std::move(state)));
  // Enrolled: open the replica now if the schemas are here (offline use); otherwise on demand.
  if (!token.empty()) {
    OUTREACH_ASSIGN_OR_RETURN(std::string schemas, client->state_->device->GetOr(client::kSchemas));
    if (!schemas.empty()) OUTREACH_RETURN_IF_ERROR(client->state_->LoadReplica());
  }
  return client;
}

Status Client::ChangePasscode(const std::string& dir, std::string_view old_passcode,
                              std::string_view new_passcode, const ClientOptions& options) {
  return storage::Database::ChangeKey(DatabasePath(dir), storage::KeySource::Passcode(old_passcode),
                                      storage::KeySource::Passcode(new_passcode),
                                      StoreOptions(options).kdf);
}

Status Client::Wipe(const std::string& dir) { return storage::Database::Wipe(DatabasePath(dir)); }

bool Client::Exists(const std::string& dir) {
  std::error_code error;
  return std::filesystem::exists(storage::Database::KeyFilePath(DatabasePath(dir)), error);
}

Status Client::RequireEnrolled() const {
  if (state_->wiped) return FailedPreconditionError("this device was wiped");
  if (!state_->replica) return FailedPreconditionError("enrol this device first");
  return state_->SyncedCommitsBack();
}

Status Client::Enrol(const std::string& server_url, std::string_view code,
                     const EnrolOptions& options) {
  if (state_->wiped) return FailedPreconditionError("this device was wiped");
  OUTREACH_ASSIGN_OR_RETURN(std::string token, state_->device->GetOr(client::kToken));
  if (!token.empty()) return FailedPreconditionError("this device is already enrolled");
  // Stored absolute: later syncs may run from another working directory.
  std::string ca_file = options.ca_file;
  if (!ca_file.empty()) {
    std::error_code error;
    ca_file = std::filesystem::absolute(ca_file, error).string();
    if (error) return InvalidArgumentError("the CA file's path cannot be made absolute");
  }
  client::TransportOptions transport{server_url, ca_file, options.pinned_public_key};
  OUTREACH_ASSIGN_OR_RETURN(state_->http, client::HttpClient::Create(transport));
  // The device id is kept before asking, so a retried enrolment is the same device.
  OUTREACH_ASSIGN_OR_RETURN(std::string device_id, state_->device->GetOr(client::kDeviceId));
  if (device_id.empty()) {
    device_id = model::NewUuidV7(state_->clock->NowMs());
    OUTREACH_RETURN_IF_ERROR(state_->device->Set(client::kDeviceId, device_id));
  }
  protocol::EnrolRequest request{protocol::kProtocolVersion, std::string(code), device_id,
                                 options.device_name};
  OUTREACH_ASSIGN_OR_RETURN(
      client::HttpResult answer,
      state_->http->Post("/v1/enrol", std::string(protocol::kJsonContentType),
                         protocol::ToJson(request).dump(), client::RequestOptions{}));
  if (answer.status != 200) return AnswerError(answer, "enrolment");
  OUTREACH_ASSIGN_OR_RETURN(Json json, protocol::ParseJsonBody(answer.body));
  OUTREACH_ASSIGN_OR_RETURN(protocol::EnrolResponse enrolled, protocol::EnrolResponseFromJson(json));
  {
    OUTREACH_ASSIGN_OR_RETURN(auto txn, state_->db->Begin());
    client::DeviceState& device = *state_->device;
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kServerUrl, server_url));
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kCaFile, ca_file));
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kPin, options.pinned_public_key));
    const bool pin_alone = !options.pinned_public_key.empty() && ca_file.empty();
    OUTREACH_RETURN_IF_ERROR(
        device.Set(client::kTrustMode, pin_alone ? client::kTrustPinAlone : client::kTrustCa));
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kToken, enrolled.token));
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kDeviceId, enrolled.device_id));
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kUserId, enrolled.user_id));
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kUserName, enrolled.user_name));
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kTeam, enrolled.team));
    OUTREACH_RETURN_IF_ERROR(device.Set(client::kRole, enrolled.role));
    OUTREACH_RETURN_IF_ERROR(txn.Commit());
  }
  return state_->LoadReplica();
}

Result<std::string> Client::Create(std::string_view collection, const Json& values,
                                   std::vector<schema::ValidationProblem>* problems) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Create(collection, values, problems);
}

Result<std::vector<schema::ValidationProblem>> Client::ValidateCreate(std::string_view collection,
                                                                      const Json& values) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->ValidateCreate(collection, values);
}

Result<std::vector<std::string>> Client::CreateAll(std::string_view collection,
                                                   const std::vector<Json>& records,
                                                   std::size_t* failed_index) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  std::vector<std::string> ids;
  ids.reserve(records.size());
  // One transaction: an import interrupted half-way leaves nothing behind, not half a file.
  OUTREACH_RETURN_IF_ERROR(state_->replica->InOneTransaction([&]() -> Status {
    for (std::size_t index = 0; index < records.size(); ++index) {
      auto id = state_->replica->Create(collection, records[index]);
      if (!id.ok()) {
        if (failed_index != nullptr) *failed_index = index;
        return Status(id.status().code(),
                      "records[" + std::to_string(index) + "]: " + id.status().message());
      }
      ids.push_back(std::move(id).value());
    }
    return Status::Ok();
  }));
  return ids;
}

Status Client::Update(std::string_view id, const Json& patch,
                      std::vector<schema::ValidationProblem>* problems) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Update(id, patch, problems);
}

Result<std::string> Client::Append(std::string_view id, std::string_view field, Json entry) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Append(id, field, std::move(entry));
}

Result<std::string> Client::Strike(std::string_view id, std::string_view field,
                                   std::string_view entry_id, std::string_view reason) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Strike(id, field, entry_id, reason);
}

Status Client::Delete(std::string_view id, std::string_view reason) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Delete(id, reason);
}

Result<replica::RecordView> Client::Get(std::string_view id) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Get(id);
}

Result<std::vector<Json>> Client::List(std::string_view collection, std::string_view field,
                                       const Json& value) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Query(collection, field, value);
}

Result<std::vector<replica::OutboxEntry>> Client::Rejected() {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Outbox(replica::OutboxStatus::kRejected);
}

Status Client::Discard(std::string_view change_id) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->Discard(change_id);
}

Result<std::string> Client::FixRejected(std::string_view change_id, const Json& patch,
                                        std::vector<schema::ValidationProblem>* problems) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->FixRejected(change_id, patch, problems);
}

Status Client::WithdrawCreate(std::string_view id) {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->replica->WithdrawCreate(id);
}

Result<std::vector<std::string>> Client::Collections() {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  return state_->schemas->Collections();
}

Result<std::vector<merge::Conflict>> Client::Conflicts() {
  OUTREACH_RETURN_IF_ERROR(RequireEnrolled());
  std::vector<merge::Conflict> conflicts;
  for (const std::string& collection : state_->schemas->Collections()) {
    OUTREACH_ASSIGN_OR_RETURN(auto records, state_->replica->Query(collection));
    for (const Json& values : records) {
      if (!values.contains("id") || !values["id"].is_string()) continue;
      OUTREACH_ASSIGN_OR_RETURN(auto view, state_->replica->Get(values["id"].get<std::string>()));
      for (auto& conflict : view.conflicts) {
        if (conflict.NeedsReview()) conflicts.push_back(std::move(conflict));
      }
    }
  }
  return conflicts;
}

Result<SyncSummary> Client::Sync(const SyncOptions& options) {
  if (state_->wiped) return FailedPreconditionError("this device was wiped");
  OUTREACH_ASSIGN_OR_RETURN(std::string token, state_->device->GetOr(client::kToken));
  if (token.empty()) return FailedPreconditionError("enrol this device first");
  OUTREACH_RETURN_IF_ERROR(state_->SyncedCommitsBack());
  OUTREACH_RETURN_IF_ERROR(state_->LoadReplica());
  OUTREACH_ASSIGN_OR_RETURN(client::HttpClient * http, state_->Http());
  // The cache back to its usual size after the pushes, its pages beyond it freed. A cache
  // that cannot be resized costs time or memory, never data: not a reason to fail the sync.
  const auto pushing = [this](bool on) {
    (void)state_->db->SetCacheSize(on ? kPushingCacheKib
                                           : StoreOptions(state_->options).cache_size_kib);
  };
  // Flagged before commits go unsynced and cleared once they are synced again, so a failure to
  // set them back is retried before the next call (RequireEnrolled), never left for a save.
  const auto synced_commits = [this](bool synced) -> Status {
    if (synced) return state_->SyncedCommitsBack();
    state_->commits_unsynced = true;
    return state_->db->SetSynchronous(storage::Synchronous::kNormal);
  };
  client::SyncContext context{state_->replica.get(), state_->device.get(), http, token,
                              [this] { return state_->ReloadSchemas(); }, pushing,
                              synced_commits, state_->clock};
  OUTREACH_ASSIGN_OR_RETURN(client::SyncRun run, client::RunSync(context, options));
  if (run.summary.wiped) {
    // Revoked: destroy everything this device holds, key first.
    state_->replica.reset();
    state_->device.reset();
    state_->db.reset();
    state_->wiped = true;
    OUTREACH_RETURN_IF_ERROR(storage::Database::Wipe(DatabasePath(state_->dir)));
  }
  return run.summary;
}

Result<ClientStatus> Client::GetStatus() {
  ClientStatus status;
  if (state_->wiped) return status;
  client::DeviceState& device = *state_->device;
  OUTREACH_ASSIGN_OR_RETURN(std::string token, device.GetOr(client::kToken));
  status.enrolled = !token.empty();
  OUTREACH_ASSIGN_OR_RETURN(status.server_url, device.GetOr(client::kServerUrl));
  OUTREACH_ASSIGN_OR_RETURN(status.device_id, device.GetOr(client::kDeviceId));
  OUTREACH_ASSIGN_OR_RETURN(status.user_id, device.GetOr(client::kUserId));
  OUTREACH_ASSIGN_OR_RETURN(status.user_name, device.GetOr(client::kUserName));
  OUTREACH_ASSIGN_OR_RETURN(status.team, device.GetOr(client::kTeam));
  OUTREACH_ASSIGN_OR_RETURN(status.role, device.GetOr(client::kRole));
  OUTREACH_ASSIGN_OR_RETURN(std::string last_sync, device.GetOr(client::kLastSyncMs));
  status.last_sync_ms = last_sync.empty() ? 0 : std::stoll(last_sync);
  if (state_->replica) {
    OUTREACH_ASSIGN_OR_RETURN(status.pending,
                              state_->replica->OutboxCount(replica::OutboxStatus::kPending));
    OUTREACH_ASSIGN_OR_RETURN(status.rejected,
                              state_->replica->OutboxCount(replica::OutboxStatus::kRejected));
  }
  return status;
}

}  // namespace outreach
