#include "tests/sync-server/server_harness.h"

#include <variant>

#include "core/model/uuid.h"
#include "sync-server/store/sqlite_server_store.h"

namespace outreach::server::testing {
namespace {

// A refusal as a Status, keeping the HTTP status and error code in the message.
Status AsStatus(const ServiceError& error) {
  const StatusCode code = error.http_status == 401   ? StatusCode::kUnauthenticated
                          : error.http_status == 403 ? StatusCode::kPermissionDenied
                                                     : StatusCode::kFailedPrecondition;
  return Status(code, Describe(error));
}

}  // namespace

std::string Describe(const ServiceError& error) {
  return "http " + std::to_string(error.http_status) + " " + error.body.error + ": " +
         error.body.message;
}

ServerHarness::ServerHarness(schema::SchemaRegistry schemas, std::string store_path,
                             SyncLimits limits)
    : schemas_(std::move(schemas)), store_path_(std::move(store_path)), limits_(limits) {
  // A fixed key: tests that read the store's files open them with it.
  for (std::size_t i = 0; i < key_.size(); ++i) key_[i] = static_cast<std::uint8_t>(0xA0 + i);
}

Result<std::unique_ptr<ServerHarness>> ServerHarness::Open(const std::string& folder,
                                                           SyncLimits limits) {
  OUTREACH_ASSIGN_OR_RETURN(auto schemas, schema::SchemaRegistry::LoadDirectory(OUTREACH_SCHEMA_DIR));
  std::unique_ptr<ServerHarness> harness(
      new ServerHarness(std::move(schemas), folder + "/server.db", limits));
  OUTREACH_RETURN_IF_ERROR(harness->ReopenStore());
  return harness;
}

void ServerHarness::CloseStore() {
  service_.reset();
  store_.reset();
}

Status ServerHarness::ReopenStore() {
  CloseStore();
  OUTREACH_ASSIGN_OR_RETURN(store_, OpenSqliteServerStore(store_path_, key_));
  service_ = std::make_unique<SyncService>(store_.get(), &schemas_, &clock_, limits_);
  return Status::Ok();
}

Result<User> ServerHarness::AddUser(std::string_view name, std::string_view team_name,
                                    std::string_view role) {
  auto team = store_->CreateTeam(team_name);
  if (!team.ok() && team.status().code() != StatusCode::kAlreadyExists) return team.status();
  return store_->CreateUser(name, team_name, role);
}

Result<protocol::EnrolResponse> ServerHarness::Enrol(std::string_view user_name,
                                                     std::string device_id) {
  OUTREACH_ASSIGN_OR_RETURN(std::string code, service_->IssueEnrolmentCode(user_name));
  if (device_id.empty()) device_id = model::NewUuidV7(clock_.NowMs());
  auto enrolled = service_->Enrol(protocol::EnrolRequest{
      protocol::kProtocolVersion, code, device_id, std::string(user_name) + "'s tablet"});
  if (auto* error = std::get_if<ServiceError>(&enrolled)) return AsStatus(*error);
  return std::get<protocol::EnrolResponse>(std::move(enrolled));
}

Result<Device> ServerHarness::DeviceFor(std::string_view token) {
  auto device = service_->Authenticate("Bearer " + std::string(token));
  if (auto* error = std::get_if<ServiceError>(&device)) return AsStatus(*error);
  return std::get<Device>(std::move(device));
}

}  // namespace outreach::server::testing
