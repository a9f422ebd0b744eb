// TestConnection: a deliberately low-level HTTP/1.1 client for the server tests. POSIX sockets
// plus OpenSSL, so a test sends exactly the bytes it means (half a request, garbage, a huge
// header) and sees exactly what comes back; no Beast, to keep the tests quick to compile.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace outreach::server::testing {

struct TestResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string Header(const std::string& lower_case_name) const;
};

class TestConnection {
 public:
  // Connects to 127.0.0.1:`port`. With `ca_file`, speaks TLS and verifies the server against
  // that file alone, for the IP 127.0.0.1, with OpenSSL's strict X.509 checks. Every read gives
  // up after 5 s, so a broken server fails a test instead of hanging it.
  // unavailable: connection refused or the handshake / verification failed.
  static Result<std::unique_ptr<TestConnection>> Open(unsigned short port,
                                                      const std::string& ca_file = "");
  ~TestConnection();
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  bool Send(std::string_view bytes);
  // Sends `request` and reads the response; status 0 if none came.
  TestResponse Exchange(std::string_view request);
  // The next response, framed by Content-Length (interim 1xx responses included); nullopt if the
  // connection ended or stalled first. A response to HEAD has no body whatever its length says.
  std::optional<TestResponse> ReadResponse(bool answers_head = false);
  // Everything that arrives until the server closes the connection; nullopt if it is still
  // open when the read timeout passes.
  std::optional<std::string> ReadUntilClosed();

 private:
  explicit TestConnection(int fd) : fd_(fd) {}
  Status StartTls(const std::string& ca_file);
  // Appends what arrives to received_: > 0 bytes, 0 at the end of the stream (or a reset),
  // -1 on timeout.
  long ReadMore();

  int fd_ = -1;
  SSL_CTX* tls_context_ = nullptr;
  SSL* tls_ = nullptr;
  std::string received_;  // read but not consumed yet
};

// "GET <path> HTTP/1.1" with Host and `extra_headers` (each ending in CRLF).
std::string GetRequest(const std::string& path, const std::string& extra_headers = "");
// A POST with Content-Type and Content-Length.
std::string PostRequest(const std::string& path, const std::string& content_type,
                        const std::string& body, const std::string& extra_headers = "");

}  // namespace outreach::server::testing
