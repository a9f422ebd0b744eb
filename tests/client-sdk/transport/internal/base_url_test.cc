#include "client-sdk/transport/internal/base_url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace outreach::client::detail {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

TEST(BaseUrlTest, HttpsAnywhere) {
  ASSERT_OK_AND_ASSIGN(BaseUrl base, CheckBaseUrl("https://sync.example.org:8443/"));
  EXPECT_EQ(base.prefix, "https://sync.example.org:8443");
  EXPECT_TRUE(base.https);
}

TEST(BaseUrlTest, KeepsAPathPrefixWithoutTrailingSlash) {
  ASSERT_OK_AND_ASSIGN(BaseUrl base, CheckBaseUrl("https://example.org/outreach/"));
  EXPECT_EQ(base.prefix, "https://example.org/outreach");
}

TEST(BaseUrlTest, PlainHttpOnlyToLoopback) {
  for (const char* url : {"http://127.0.0.1:8080", "http://localhost:1", "http://LOCALHOST",
                          "http://[::1]:9000"}) {
    Result<BaseUrl> base = CheckBaseUrl(url);
    EXPECT_THAT(base, IsOk()) << url;
    if (base.ok()) {
      EXPECT_FALSE(base->https);
    }
  }
  for (const char* url : {"http://example.org", "http://10.0.0.1:8080", "http://127.0.0.2",
                          "http://localhost.example.org", "http://[::2]"}) {
    EXPECT_THAT(CheckBaseUrl(url), StatusIs(StatusCode::kInvalidArgument)) << url;
  }
}

TEST(BaseUrlTest, RefusesOtherSchemesAndExtras) {
  for (const char* url : {"", "example.org", "ftp://example.org", "file:///etc/passwd",
                          "https://user:secret@example.org", "https://example.org/?q=1",
                          "https://example.org/#top"}) {
    Result<BaseUrl> base = CheckBaseUrl(url);
    EXPECT_THAT(base, StatusIs(StatusCode::kInvalidArgument)) << url;
    // Credentials in a URL never reach a message.
    EXPECT_EQ(base.status().message().find("secret"), std::string::npos);
  }
}

TEST(BaseUrlTest, RequestPathsStartWithSlashAndHaveNoControlCharacters) {
  EXPECT_THAT(CheckRequestPath("/v1/sync"), IsOk());
  EXPECT_THAT(CheckRequestPath("v1/sync"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckRequestPath(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckRequestPath("/a b"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckRequestPath("/a\r\nX-Evil: 1"), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace outreach::client::detail
