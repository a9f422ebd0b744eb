// The device's view: libcurl (what client-sdk's transport uses) verifies the server against its
// self-signed certificate as CA file and against PublicKeyPin's pin, and talks keep-alive.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sync-server/http/self_signed_certificate.h"
#include "tests/sync-server/http/test_server.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server {
namespace {

using testing::TestServer;

struct CurlOutcome {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
};

std::size_t AppendBody(char* data, std::size_t size, std::size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

class CurlClient {
 public:
  CurlClient() : handle_(curl_easy_init(), &curl_easy_cleanup) {}

  // GET https://127.0.0.1:<port><path>, verified against `ca_file` and, if set, `pin`.
  CurlOutcome Get(unsigned short port, const std::string& path, const std::string& ca_file,
                  const std::string& pin = "") {
    CurlOutcome outcome;
    const std::string url = "https://127.0.0.1:" + std::to_string(port) + path;
    curl_easy_setopt(handle_.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle_.get(), CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(handle_.get(), CURLOPT_PINNEDPUBLICKEY, pin.empty() ? nullptr : pin.c_str());
    curl_easy_setopt(handle_.get(), CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(handle_.get(), CURLOPT_WRITEDATA, &outcome.body);
    curl_easy_setopt(handle_.get(), CURLOPT_TIMEOUT_MS, 5000L);
    outcome.code = curl_easy_perform(handle_.get());
    curl_easy_getinfo(handle_.get(), CURLINFO_RESPONSE_CODE, &outcome.status);
    return outcome;
  }

  long ConnectionsOpened() {
    long count = 0;
    curl_easy_getinfo(handle_.get(), CURLINFO_NUM_CONNECTS, &count);
    return count;
  }

 private:
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle_;
};

TEST(HttpServerCurlTest, CurlVerifiesCertificateAndPinAndReusesTheConnection) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  ASSERT_OK_AND_ASSIGN(const std::string pin, PublicKeyPin(test_server->ca_file()));
  CurlClient curl;
  const CurlOutcome first = curl.Get(test_server->port(), "/hello", test_server->ca_file(), pin);
  ASSERT_EQ(first.code, CURLE_OK) << curl_easy_strerror(first.code);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "hello");
  const CurlOutcome second = curl.Get(test_server->port(), "/hello", test_server->ca_file(), pin);
  ASSERT_EQ(second.code, CURLE_OK) << curl_easy_strerror(second.code);
  EXPECT_EQ(curl.ConnectionsOpened(), 0) << "the second request should reuse the connection";
}

TEST(HttpServerCurlTest, CurlRefusesAWrongPin) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  const std::string wrong_pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  CurlClient curl;
  const CurlOutcome outcome =
      curl.Get(test_server->port(), "/hello", test_server->ca_file(), wrong_pin);
  EXPECT_EQ(outcome.code, CURLE_SSL_PINNEDPUBKEYNOTMATCH);
}

}  // namespace
}  // namespace outreach::server
