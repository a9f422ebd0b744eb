// HttpServer against a real client on 127.0.0.1: TLS verified against a self-signed certificate,
// keep-alive, plain mode, what reaches the handler and what it sends back, handler exceptions,
// the observer, and Start's refusals.
#include "sync-server/http/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sync-server/http/self_signed_certificate.h"
#include "tests/sync-server/http/test_connection.h"
#include "tests/sync-server/http/test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::server {
namespace {

using ::outreach::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::GetRequest;
using testing::PostRequest;
using testing::TestServer;

TEST(HttpServerTest, TlsGetAndPostRoundTripVerifiedAgainstSelfSignedCertificate) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  ASSERT_OK_AND_ASSIGN(auto get_connection, test_server->Connect());
  const auto get = get_connection->Exchange(GetRequest("/hello"));
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.Header("content-type"), "text/plain");
  EXPECT_EQ(get.body, "hello");

  ASSERT_OK_AND_ASSIGN(auto post_connection, test_server->Connect());
  const auto post =
      post_connection->Exchange(PostRequest("/echo", "application/json", R"({"a":1})"));
  EXPECT_EQ(post.status, 200);
  EXPECT_THAT(post.body, HasSubstr(R"(method=POST;content_type=application/json)"));
  EXPECT_THAT(post.body, HasSubstr(R"(;body={"a":1})"));
}

TEST(HttpServerTest, TlsClientRefusesServerItDoesNotTrust) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  outreach::testing::TempDir other;
  ASSERT_TRUE(MakeSelfSignedCertificate(other.File("other.crt"), other.File("other.key"),
                                        {"127.0.0.1"})
                  .ok());
  EXPECT_THAT(testing::TestConnection::Open(test_server->port(), other.File("other.crt")),
              StatusIs(StatusCode::kUnavailable));
}

TEST(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  const auto first = connection->Exchange(GetRequest("/hello"));
  EXPECT_EQ(first.Header("connection"), "keep-alive");
  const auto second = connection->Exchange(PostRequest("/echo", "text/plain", "second"));
  EXPECT_EQ(second.status, 200);
  EXPECT_THAT(second.body, HasSubstr("body=second"));
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  ASSERT_TRUE(connection->Send(PostRequest("/echo", "text/plain", "one") +
                               PostRequest("/echo", "text/plain", "two")));
  const auto first = connection->ReadResponse();
  const auto second = connection->ReadResponse();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_THAT(first->body, HasSubstr("body=one"));
  EXPECT_THAT(second->body, HasSubstr("body=two"));
}

TEST(HttpServerTest, ConnectionCloseRequestGetsCloseAndTheConnectionEnds) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  const auto response = connection->Exchange(GetRequest("/hello", "Connection: close\r\n"));
  EXPECT_EQ(response.Header("connection"), "close");
  EXPECT_EQ(connection->ReadUntilClosed(), "");
}

TEST(HttpServerTest, PlainHttpModeServes) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  EXPECT_EQ(test_server->ca_file(), "");
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  const auto response = connection->Exchange(GetRequest("/hello"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
}

TEST(HttpServerTest, HandlerSeesNormalisedContentTypeAndHeadersAsSent) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  const auto response = connection->Exchange(
      PostRequest("/echo?page=2", "Application/JSON; charset=utf-8", "{}",
                  "Accept: application/vnd.outreach.sync.v1+cereal\r\n"
                  "Authorization: Bearer abc\r\n"));
  EXPECT_EQ(response.body,
            "method=POST;content_type=application/json;"
            "accept=application/vnd.outreach.sync.v1+cereal;authorization=Bearer abc;"
            "remote=127.0.0.1;body={}");
}

TEST(HttpServerTest, HandlerStatusAndExtraHeadersAreWritten) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  const auto response = connection->Exchange(GetRequest("/teapot"));
  EXPECT_EQ(response.status, 418);
  EXPECT_EQ(response.Header("x-teapot"), "short and stout");
  EXPECT_EQ(response.Header("content-length"), "0");
}

TEST(HttpServerTest, HeadRequestGetsLengthWithoutBody) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  ASSERT_TRUE(connection->Send("HEAD /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const auto head = connection->ReadResponse(/*answers_head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->Header("content-length"), "5");
  // Framing holds: the next response is read right after the head's header.
  const auto get = connection->Exchange(GetRequest("/hello"));
  EXPECT_EQ(get.body, "hello");
}

TEST(HttpServerTest, HandlerExceptionAnswers500AndServerKeepsServing) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  const auto failed = connection->Exchange(GetRequest("/throw"));
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.Header("content-type"), "application/json");
  EXPECT_THAT(failed.body, HasSubstr(R"("error":"internal")"));
  const auto same_connection = connection->Exchange(GetRequest("/hello"));
  EXPECT_EQ(same_connection.status, 200);
  ASSERT_OK_AND_ASSIGN(auto other_connection, test_server->Connect());
  const auto other = other_connection->Exchange(GetRequest("/hello"));
  EXPECT_EQ(other.status, 200);
}

TEST(HttpServerTest, HeaderInjectionFromHandlerBecomes500) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  const auto response = connection->Exchange(GetRequest("/inject"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.Header("set-cookie"), "");
}

TEST(HttpServerTest, ExpectContinueGetsInterimResponseBeforeTheBody) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  const auto interim = connection->Exchange(
      "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
      "Content-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(interim.status, 100);
  const auto final_response = connection->Exchange("body");
  EXPECT_EQ(final_response.status, 200);
  EXPECT_THAT(final_response.body, HasSubstr("body=body"));
}

TEST(HttpServerTest, ObserverSeesEveryResponseWithPathWithoutQuery) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  for (const char* path : {"/hello", "/missing?x=1", "/throw", "/teapot"}) {
    ASSERT_NE(connection->Exchange(GetRequest(path)).status, 0) << path;
  }
  const auto observed = test_server->WaitForObserved(4);
  ASSERT_EQ(observed.size(), 4u);
  std::vector<int> statuses;
  for (const auto& response : observed) {
    statuses.push_back(response.status);
    EXPECT_EQ(response.method, "GET");
    EXPECT_GE(response.seconds, 0.0);
  }
  EXPECT_THAT(statuses, ElementsAre(200, 404, 500, 418));
  EXPECT_EQ(observed[1].path, "/missing");
}

TEST(HttpServerTest, PortZeroBindsAnEphemeralPortAndATakenPortIsAnIoError) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  EXPECT_NE(test_server->port(), 0);
  HttpServerOptions options;
  options.tls = false;
  options.port = test_server->port();
  EXPECT_THAT(HttpServer::Start(options, testing::RoutesForTests, nullptr),
              StatusIs(StatusCode::kIo));
}

TEST(HttpServerTest, StartRefusesMissingOrMismatchedTlsFilesAndBadAddress) {
  outreach::testing::TempDir dir;
  ASSERT_TRUE(MakeSelfSignedCertificate(dir.File("a.crt"), dir.File("a.key"), {"a"}).ok());
  ASSERT_TRUE(MakeSelfSignedCertificate(dir.File("b.crt"), dir.File("b.key"), {"b"}).ok());
  HttpServerOptions options;
  options.tls_files = {dir.File("a.crt"), dir.File("b.key")};
  EXPECT_THAT(HttpServer::Start(options, testing::RoutesForTests, nullptr),
              StatusIs(StatusCode::kInvalidArgument));
  options.tls_files = {dir.File("missing.crt"), dir.File("a.key")};
  EXPECT_THAT(HttpServer::Start(options, testing::RoutesForTests, nullptr),
              StatusIs(StatusCode::kInvalidArgument));
  options.tls = false;
  options.address = "not-an-address";
  EXPECT_THAT(HttpServer::Start(options, testing::RoutesForTests, nullptr),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace outreach::server
