#include "sync-server/api/router.h"

#include <memory>

#include "core/protocol/binary_codec.h"
#include "core/protocol/json_codec.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_registry.h"
#include "sync-server/api/log.h"
#include "sync-server/api/metrics.h"
#include "sync-server/store/server_store.h"
#include "sync-server/sync/sync_service.h"

namespace outreach::server {
namespace {

using model::Json;

HttpResponse JsonResponse(int status, const Json& body) {
  // Replace, never throw: an error may quote an id a client sent as invalid UTF-8.
  return HttpResponse{status, "application/json",
                      body.dump(-1, ' ', false, Json::error_handler_t::replace), {}, {}};
}

HttpResponse ErrorResponse(int status, std::string error, std::string message) {
  protocol::ErrorBody body;
  body.error = std::move(error);
  body.message = std::move(message);
  return JsonResponse(status, protocol::ToJson(body));
}

HttpResponse ErrorResponse(const ServiceError& error) {
  return JsonResponse(error.http_status, protocol::ToJson(error.body));
}

// A body that could not be decoded: which status says what is wrong with it.
HttpResponse DecodeFailure(const Status& status) {
  switch (status.code()) {
    case StatusCode::kFailedPrecondition:
      return ErrorResponse(400, "unsupported_protocol", status.message());
    case StatusCode::kResourceExhausted:
      return ErrorResponse(413, "body_too_large", status.message());
    default:
      return ErrorResponse(400, "malformed_body", status.message());
  }
}

std::string PathOf(const std::string& target) { return target.substr(0, target.find('?')); }

}  // namespace

Router::Router(SyncService* service, ServerStore* store, const schema::SchemaRegistry* schemas,
               Metrics* metrics)
    : service_(service), store_(store), schemas_(schemas), metrics_(metrics) {}

HttpResponse Router::Handle(const HttpRequest& request) {
  const std::string path = PathOf(request.target);
  struct Route {
    const char* method;
    const char* path;
    HttpResponse (Router::*handle)(const HttpRequest&);
  };
  // Every endpoint is here, /healthz and /metrics included, so that a known path asked with
  // the wrong method is 405 with Allow (RFC 9110 section 15.5.6), never 404.
  static const Route kRoutes[] = {{"POST", "/v1/sync", &Router::Sync},
                                  {"POST", "/v1/enrol", &Router::Enrol},
                                  {"GET", "/v1/schemas", &Router::Schemas},
                                  {"GET", "/healthz", &Router::Health},
                                  {"GET", "/metrics", &Router::MetricsText}};
  for (const Route& route : kRoutes) {
    if (path != route.path) continue;
    if (request.method != route.method) {
      HttpResponse response = ErrorResponse(405, "method_not_allowed", "use " + std::string(route.method));
      response.headers.emplace_back("Allow", route.method);
      return response;
    }
    return (this->*route.handle)(request);
  }
  return ErrorResponse(404, "not_found", "no such endpoint");
}

HttpResponse Router::Sync(const HttpRequest& request) {
  auto device = service_->Authenticate(request.authorization);
  if (auto* error = std::get_if<ServiceError>(&device)) {
    if (error->body.error == "device_revoked") {
      LogEvent("sync_refused_revoked", {{"remote", request.remote_address}});
    }
    return ErrorResponse(*error);
  }
  const Device& who = std::get<Device>(device);
  metrics_->DeviceSeen(who.id);

  const bool binary = request.content_type == protocol::kBinaryContentType;
  if (!binary && request.content_type != protocol::kJsonContentType) {
    return ErrorResponse(415, "unsupported_media_type",
                         "send " + std::string(protocol::kBinaryContentType) + " or " +
                             std::string(protocol::kJsonContentType));
  }
  // A binary push is read change by change while the service checks and applies it; JSON is
  // read whole first.
  std::unique_ptr<protocol::BinaryRequestReader> reader;
  Result<protocol::SyncRequest> decoded = [&]() -> Result<protocol::SyncRequest> {
    if (binary) {
      OUTREACH_ASSIGN_OR_RETURN(reader, protocol::BinaryRequestReader::Open(
                                            request.body, protocol::DecodeLimits{
                                                              kMaxDecompressedRequestBytes}));
      return reader->head();
    }
    OUTREACH_ASSIGN_OR_RETURN(Json json, protocol::ParseJsonBody(request.body));
    return protocol::SyncRequestFromJson(json);
  }();
  if (!decoded.ok()) return DecodeFailure(decoded.status());
  const std::size_t pushed = reader != nullptr ? reader->change_count() : decoded->changes.size();
  const protocol::ProtocolVersion version = decoded->version;  // a JSON request is moved below

  auto outcome = reader != nullptr ? service_->Sync(who, *decoded, *reader)
                                   : service_->Sync(who, std::move(*decoded));
  reader.reset();  // its copy of the body is not needed while the answer is made
  if (auto* error = std::get_if<ServiceError>(&outcome)) {
    LogEvent("sync_refused", {{"device", who.id}, {"status", error->http_status},
                              {"error", error->body.error}, {"changes", pushed}});
    return ErrorResponse(*error);
  }
  SyncReply& reply = std::get<SyncReply>(outcome);
  metrics_->AddChangesApplied(reply.changes_applied);
  metrics_->AddConflictsOpened(reply.conflicts_opened);
  LogEvent("sync", {{"device", who.id}, {"team", who.user.team_id},
                    {"pushed", pushed}, {"applied", reply.changes_applied},
                    {"conflicts", reply.conflicts_opened},
                    {"pulled", reply.encoded_records.size()},
                    {"has_more", reply.response.has_more}});
  if (binary) {
    // In the form the request's version reads (a 1.2 device: the archive form).
    auto body = protocol::EncodeBinaryFor(reply.response, reply.encoded_records, version);
    if (!body.ok()) return ErrorResponse(500, "store_corrupt", "a stored record does not decode");
    HttpResponse answer{200, std::string(protocol::kBinaryContentType), *std::move(body), {}, {}};
    answer.retained = std::make_shared<const std::pair<protocol::SyncRequest, SyncReply>>(
        std::move(*decoded), std::move(reply));
    return answer;
  }
  for (const std::string& bytes : reply.encoded_records) {
    auto state = protocol::DecodeRecordState(bytes);
    if (!state.ok()) return ErrorResponse(500, "store_corrupt", "a stored record does not decode");
    reply.response.records.push_back(std::move(state).value());
  }
  return JsonResponse(200, protocol::ToJson(reply.response));
}

HttpResponse Router::Enrol(const HttpRequest& request) {
  if (request.content_type != protocol::kJsonContentType) {
    return ErrorResponse(415, "unsupported_media_type", "send application/json");
  }
  auto json = protocol::ParseJsonBody(request.body);
  if (!json.ok()) return DecodeFailure(json.status());
  auto enrol = protocol::EnrolRequestFromJson(*json);
  if (!enrol.ok()) return DecodeFailure(enrol.status());
  auto outcome = service_->Enrol(*enrol);
  if (auto* error = std::get_if<ServiceError>(&outcome)) {
    LogEvent("enrol_refused", {{"remote", request.remote_address}, {"status", error->http_status}});
    return ErrorResponse(*error);
  }
  const auto& enrolled = std::get<protocol::EnrolResponse>(outcome);
  LogEvent("enrolled", {{"device", enrolled.device_id}, {"user", enrolled.user_id},
                        {"team", enrolled.team}});
  return JsonResponse(200, protocol::ToJson(enrolled));
}

HttpResponse Router::Schemas(const HttpRequest& request) {
  auto device = service_->Authenticate(request.authorization);
  if (auto* error = std::get_if<ServiceError>(&device)) return ErrorResponse(*error);
  Json schemas = Json::object();
  for (const std::string& collection : schemas_->Collections()) {
    schemas[collection] = schemas_->Find(collection)->document();
  }
  return JsonResponse(200, Json{{"protocol", protocol::VersionString(protocol::kProtocolVersion)},
                                {"schemas_hash", service_->schemas_hash()},
                                {"schemas", std::move(schemas)}});
}

HttpResponse Router::Health(const HttpRequest& /*request*/) {
  auto stats = store_->Stats();
  if (!stats.ok()) return ErrorResponse(503, "store_unavailable", "the store cannot be read");
  return JsonResponse(200, Json{{"status", "ok"}, {"records", stats->records}});
}

HttpResponse Router::MetricsText(const HttpRequest& /*request*/) {
  auto stats = store_->Stats();
  return HttpResponse{200, "text/plain; version=0.0.4",
                      metrics_->Render(stats.ok() ? *stats : StoreStats{}), {}, {}};
}

}  // namespace outreach::server
