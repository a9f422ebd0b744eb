// The router's answers that do not depend on a body's encoding: unknown paths and methods,
// authentication, enrolment, health and metrics; every refusal a JSON body with "error".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/sync-server/router_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::testing::HasSubstr;

class RouterTest : public RouterFixture {};

TEST_F(RouterTest, UnknownPathIs404) {
  EXPECT_EQ(ErrorOf(Get("/v2/sync"), 404), "not_found");
  EXPECT_EQ(ErrorOf(Get("/"), 404), "not_found");
  EXPECT_EQ(ErrorOf(PostJson("/v1/sync/more", Json::object()), 404), "not_found");
}

TEST_F(RouterTest, WrongMethodIs405NamingTheRightOne) {
  for (const auto& [method, target, allowed] :
       {std::tuple{"GET", "/v1/sync", "POST"}, std::tuple{"PUT", "/v1/enrol", "POST"},
        std::tuple{"POST", "/v1/schemas", "GET"}, std::tuple{"POST", "/healthz", "GET"},
        std::tuple{"DELETE", "/metrics", "GET"}}) {
    SCOPED_TRACE(std::string(method) + " " + target);
    const HttpResponse response =
        router_->Handle(HttpRequest{method, target, "application/json", "", "", "{}", ""});
    EXPECT_EQ(ErrorOf(response, 405), "method_not_allowed");
    EXPECT_THAT(response.headers, ::testing::Contains(std::pair<std::string, std::string>(
                                      "Allow", allowed)));
  }
}

TEST_F(RouterTest, SyncWithoutAWorkingTokenIs401AndRevokedIs403WithWipe) {
  const Json empty = protocol::ToJson(protocol::SyncRequest{});
  EXPECT_EQ(ErrorOf(PostJson("/v1/sync", empty), 401), "unauthenticated");
  EXPECT_EQ(ErrorOf(PostJson("/v1/sync", empty, "ost_not-a-token"), 401), "unauthenticated");
  ASSERT_OK_AND_ASSIGN(auto enrolled, server_->Enrol("ana"));
  ASSERT_EQ(PostJson("/v1/sync", empty, enrolled.token).status, 200);
  ASSERT_THAT(server_->store().RevokeDevice(enrolled.device_id), IsOk());
  const HttpResponse revoked = PostJson("/v1/sync", empty, enrolled.token);
  EXPECT_EQ(ErrorOf(revoked, 403), "device_revoked");
  EXPECT_EQ(Json::parse(revoked.body)["wipe"], true);
  EXPECT_EQ(ErrorOf(Get("/v1/schemas", enrolled.token), 403), "device_revoked");
}

TEST_F(RouterTest, WrongContentTypeIs415) {
  ASSERT_OK_AND_ASSIGN(auto enrolled, server_->Enrol("ana"));
  const std::string body = protocol::ToJson(protocol::SyncRequest{}).dump();
  EXPECT_EQ(ErrorOf(Post("/v1/sync", "text/plain", body, enrolled.token), 415), "unsupported_media_type");
  EXPECT_EQ(ErrorOf(Post("/v1/sync", "", body, enrolled.token), 415), "unsupported_media_type");
  EXPECT_EQ(ErrorOf(Post("/v1/enrol", "application/x-www-form-urlencoded", "code=x"), 415),
            "unsupported_media_type");
}

TEST_F(RouterTest, EnrolThroughTheRouterGivesATokenThatSyncs) {
  ASSERT_OK_AND_ASSIGN(std::string code, server_->service().IssueEnrolmentCode("ana"));
  protocol::EnrolRequest request{protocol::kProtocolVersion, code,
                                 "0190a6c2-0000-7000-8000-0000000000e1", "Ana's tablet"};
  const HttpResponse enrolled = PostJson("/v1/enrol", protocol::ToJson(request));
  ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  ASSERT_OK_AND_ASSIGN(auto response, protocol::EnrolResponseFromJson(Json::parse(enrolled.body)));
  EXPECT_EQ(response.device_id, request.device_id);
  EXPECT_EQ(PostJson("/v1/sync", protocol::ToJson(protocol::SyncRequest{}), response.token).status, 200);
  // The same code again, from another device: refused.
  request.device_id = "0190a6c2-0000-7000-8000-0000000000e2";
  EXPECT_EQ(ErrorOf(PostJson("/v1/enrol", protocol::ToJson(request)), 401), "unauthenticated");
  EXPECT_EQ(ErrorOf(Post("/v1/enrol", "application/json", "{\"code\":"), 400), "malformed_body");
  EXPECT_EQ(ErrorOf(PostJson("/v1/enrol", Json{{"protocol", "1.0"}}), 400), "malformed_body");
}

TEST_F(RouterTest, SchemasNeedAToken) {
  ASSERT_OK_AND_ASSIGN(auto enrolled, server_->Enrol("ana"));
  EXPECT_EQ(ErrorOf(Get("/v1/schemas"), 401), "unauthenticated");
  const HttpResponse schemas = Get("/v1/schemas", enrolled.token);
  ASSERT_EQ(schemas.status, 200);
  const Json body = Json::parse(schemas.body);
  EXPECT_EQ(body["schemas_hash"], server_->service().schemas_hash());
  EXPECT_TRUE(body["schemas"].contains("young_person"));
}

TEST_F(RouterTest, HealthzAnswersOk) {
  const HttpResponse health = Get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json::parse(health.body)["status"], "ok");
  EXPECT_EQ(Get("/healthz?probe=1").status, 200);
}

TEST_F(RouterTest, MetricsShowRequestsAndAppliedChanges) {
  auto ana = NewDevice("ana");
  ASSERT_TRUE(ana);
  ASSERT_EQ(CreateYoungPeople(*ana, {"Skye", "Jay"}).size(), 2u);
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest push, ana->PendingRequest());
  ASSERT_EQ(PostJson("/v1/sync", protocol::ToJson(push), ana->token()).status, 200);
  ASSERT_EQ(PostJson("/v1/sync", protocol::ToJson(push), ana->token()).status, 200);  // duplicates
  metrics_.ObserveRequest("POST", "/v1/sync", 200, 0.02);
  metrics_.ObserveRequest("GET", "/v1/unknown/abc", 404, 0.001);

  const HttpResponse metrics = Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.content_type, HasSubstr("text/plain"));
  EXPECT_THAT(metrics.body, HasSubstr("outreach_http_requests_total{route=\"/v1/sync\",status=\"200\"} 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("outreach_http_requests_total{route=\"other\",status=\"404\"} 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("\noutreach_changes_applied_total 2\n")) << "duplicates are not counted";
  EXPECT_THAT(metrics.body, HasSubstr("\noutreach_store_records 2\n"));
  EXPECT_THAT(metrics.body, HasSubstr("\noutreach_devices_seen 1\n"));
}

}  // namespace
}  // namespace outreach::server::testing
