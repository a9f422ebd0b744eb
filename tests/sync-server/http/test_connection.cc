#include "tests/sync-server/http/test_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

namespace outreach::server::testing {
namespace {

constexpr timeval kReadTimeout{5, 0};

std::string LowerCase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string OpenSslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof(line));
    text += std::string(" ") + line;
  }
  return text;
}

}  // namespace

std::string TestResponse::Header(const std::string& lower_case_name) const {
  const auto found = headers.find(lower_case_name);
  return found == headers.end() ? "" : found->second;
}

Result<std::unique_ptr<TestConnection>> TestConnection::Open(unsigned short port,
                                                             const std::string& ca_file) {
  // A write to a socket the server closed must fail the write, not kill the test binary.
  std::signal(SIGPIPE, SIG_IGN);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + std::strerror(errno));
  std::unique_ptr<TestConnection> connection(new TestConnection(fd));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return UnavailableError(std::string("connect: ") + std::strerror(errno));
  }
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &kReadTimeout, sizeof(kReadTimeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &kReadTimeout, sizeof(kReadTimeout));
  if (!ca_file.empty()) OUTREACH_RETURN_IF_ERROR(connection->StartTls(ca_file));
  return connection;
}

Status TestConnection::StartTls(const std::string& ca_file) {
  tls_context_ = SSL_CTX_new(TLS_client_method());
  if (tls_context_ == nullptr) return InternalError("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(tls_context_, TLS1_2_VERSION);
  if (SSL_CTX_load_verify_locations(tls_context_, ca_file.c_str(), nullptr) != 1) {
    return InvalidArgumentError("cannot load CA file " + ca_file + ":" + OpenSslErrors());
  }
  SSL_CTX_set_verify(tls_context_, SSL_VERIFY_PEER, nullptr);
  X509_VERIFY_PARAM* verify = SSL_CTX_get0_param(tls_context_);
  X509_VERIFY_PARAM_set_flags(verify, X509_V_FLAG_X509_STRICT);
  X509_VERIFY_PARAM_set1_ip_asc(verify, "127.0.0.1");
  tls_ = SSL_new(tls_context_);
  SSL_set_fd(tls_, fd_);
  if (SSL_connect(tls_) != 1) {
    const long verify_result = SSL_get_verify_result(tls_);
    return UnavailableError(std::string("TLS handshake failed: ") +
                            X509_verify_cert_error_string(verify_result) + OpenSslErrors());
  }
  return Status::Ok();
}

TestConnection::~TestConnection() {
  if (tls_ != nullptr) SSL_free(tls_);
  if (tls_context_ != nullptr) SSL_CTX_free(tls_context_);
  if (fd_ >= 0) ::close(fd_);
}

bool TestConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const long sent = tls_ != nullptr
                          ? SSL_write(tls_, bytes.data(), static_cast<int>(bytes.size()))
                          : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) {
      ERR_clear_error();
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

long TestConnection::ReadMore() {
  char chunk[16 * 1024];
  if (tls_ != nullptr) {
    const int got = SSL_read(tls_, chunk, sizeof(chunk));
    if (got > 0) {
      received_.append(chunk, static_cast<std::size_t>(got));
      return got;
    }
    const int error = SSL_get_error(tls_, got);
    ERR_clear_error();
    // The socket timeout surfaces as "want read"; anything else means the stream ended.
    return error == SSL_ERROR_WANT_READ ? -1 : 0;
  }
  const ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
  if (got > 0) {
    received_.append(chunk, static_cast<std::size_t>(got));
    return got;
  }
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
  return 0;  // end of stream or reset
}

std::optional<TestResponse> TestConnection::ReadResponse(bool answers_head) {
  std::size_t header_end;
  while ((header_end = received_.find("\r\n\r\n")) == std::string::npos) {
    if (ReadMore() <= 0) return std::nullopt;
  }
  TestResponse response;
  const std::string head = received_.substr(0, header_end + 2);
  const std::size_t status_line_end = head.find("\r\n");
  // "HTTP/1.1 200 OK"
  response.status = std::atoi(head.substr(9, 3).c_str());
  for (std::size_t line_start = status_line_end + 2; line_start < head.size();) {
    const std::size_t line_end = head.find("\r\n", line_start);
    const std::string line = head.substr(line_start, line_end - line_start);
    const std::size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[LowerCase(line.substr(0, colon))] = value;
    line_start = line_end + 2;
  }
  received_.erase(0, header_end + 4);
  const std::string length = response.Header("content-length");
  const std::size_t body_size = length.empty() || answers_head ? 0 : std::stoul(length);
  while (received_.size() < body_size) {
    if (ReadMore() <= 0) return std::nullopt;
  }
  response.body = received_.substr(0, body_size);
  received_.erase(0, body_size);
  return response;
}

TestResponse TestConnection::Exchange(std::string_view request) {
  if (!Send(request)) return {};
  return ReadResponse().value_or(TestResponse());
}

std::optional<std::string> TestConnection::ReadUntilClosed() {
  while (true) {
    const long got = ReadMore();
    if (got < 0) return std::nullopt;
    if (got == 0) return std::exchange(received_, std::string());
  }
}

std::string GetRequest(const std::string& path, const std::string& extra_headers) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

std::string PostRequest(const std::string& path, const std::string& content_type,
                        const std::string& body, const std::string& extra_headers) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
         body;
}

}  // namespace outreach::server::testing
