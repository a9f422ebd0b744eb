// http_wire: response framing, JSON errors, media types and what a handler may not send.
#include "sync-server/http/internal/http_wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace outreach::server::detail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

TEST(HttpWireTest, SerializesStatusLengthConnectionHeadersAndBody) {
  HttpResponse response = TextResponse(200, "hello");
  response.headers.emplace_back("Retry-After", "3");
  EXPECT_EQ(SerializeResponse(response, /*keep_alive=*/true, /*include_body=*/true),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
            "Connection: keep-alive\r\nRetry-After: 3\r\n\r\nhello");
  EXPECT_THAT(SerializeResponse(response, false, true), HasSubstr("\r\nConnection: close\r\n"));
}

TEST(HttpWireTest, HeadKeepsLengthButDropsBody) {
  const std::string bytes = SerializeResponse(TextResponse(200, "hello"), true, false);
  EXPECT_THAT(bytes, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_EQ(bytes.substr(bytes.size() - 4), "\r\n\r\n");
}

TEST(HttpWireTest, NoContentAndNotModifiedCarryNoBodyOrLength) {
  for (const int status : {204, 304}) {
    const std::string bytes = SerializeResponse(TextResponse(status, "ignored"), true, true);
    EXPECT_THAT(bytes, Not(HasSubstr("Content-Length"))) << status;
    EXPECT_THAT(bytes, Not(HasSubstr("ignored"))) << status;
  }
}

TEST(HttpWireTest, UnknownStatusStillGetsAReasonPhrase) {
  EXPECT_THAT(SerializeResponse(TextResponse(299, ""), true, true),
              HasSubstr("HTTP/1.1 299 Status\r\n"));
}

TEST(HttpWireTest, JsonErrorCarriesCodeAndEscapedMessage) {
  const HttpResponse response = JsonErrorResponse(413, "body_too_large", "over \"16\" MiB");
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"error":"body_too_large","message":"over \"16\" MiB"})");
}

TEST(HttpWireTest, MediaTypeIsLowerCaseWithoutParameters) {
  EXPECT_EQ(MediaTypeOf("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaTypeOf("  application/vnd.outreach.sync.v1+cereal  "),
            "application/vnd.outreach.sync.v1+cereal");
  EXPECT_EQ(MediaTypeOf(""), "");
  EXPECT_EQ(MediaTypeOf(" ; x=y"), "");
}

TEST(HttpWireTest, PathDropsTheQuery) {
  EXPECT_EQ(PathOf("/v1/sync?cursor=3"), "/v1/sync");
  EXPECT_EQ(PathOf("/v1/sync"), "/v1/sync");
}

TEST(HttpWireTest, RefusesResponsesThatWouldBreakFraming) {
  EXPECT_TRUE(IsSendable(TextResponse(200, "")));
  EXPECT_FALSE(IsSendable(TextResponse(101, "")));
  EXPECT_FALSE(IsSendable(TextResponse(600, "")));
  HttpResponse injected = TextResponse(200, "");
  injected.headers.emplace_back("X-Note", "a\r\nSet-Cookie: x=1");
  EXPECT_FALSE(IsSendable(injected));
  HttpResponse bad_name = TextResponse(200, "");
  bad_name.headers.emplace_back("Bad Name", "x");
  EXPECT_FALSE(IsSendable(bad_name));
  HttpResponse framing = TextResponse(200, "");
  framing.headers.emplace_back("content-length", "99");
  EXPECT_FALSE(IsSendable(framing));
  HttpResponse bad_type = TextResponse(200, "");
  bad_type.content_type = "text/plain\r\nX: y";
  EXPECT_FALSE(IsSendable(bad_type));
}

}  // namespace
}  // namespace outreach::server::detail
