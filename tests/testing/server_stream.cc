#include "tests/testing/server_stream.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <stdexcept>

#include "tests/testing/loopback_socket.h"

namespace outreach::testing {

void TlsContextDeleter::operator()(SSL_CTX* context) const { SSL_CTX_free(context); }

TlsContext MakeServerTlsContext(const std::string& chain_file, const std::string& key_file) {
  TlsContext context(SSL_CTX_new(TLS_server_method()));
  if (!context || SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate_chain_file(context.get(), chain_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(context.get()) != 1) {
    throw std::runtime_error("cannot set up the test server's TLS context");
  }
  return context;
}

ServerStream::ServerStream(int fd, SSL_CTX* tls) : fd_(fd) {
  if (tls == nullptr) return;
  ssl_ = SSL_new(tls);
  ok_ = ssl_ != nullptr && SSL_set_fd(ssl_, fd) == 1 && SSL_accept(ssl_) == 1;
}

ServerStream::~ServerStream() {
  // No close_notify: the listener ends the TCP connection, and test clients must cope with
  // servers that vanish without one anyway.
  SSL_free(ssl_);
}

std::size_t ServerStream::Read(char* buffer, std::size_t size) {
  if (!ok_) return 0;
  while (true) {
    if (ssl_ != nullptr) {
      const int read = SSL_read(ssl_, buffer, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
      return read > 0 ? static_cast<std::size_t>(read) : 0;
    }
    const ssize_t read = ::recv(fd_, buffer, size, 0);
    if (read < 0 && errno == EINTR) continue;
    return read > 0 ? static_cast<std::size_t>(read) : 0;
  }
}

bool ServerStream::WriteAll(std::string_view bytes) {
  if (!ok_) return false;
  if (ssl_ == nullptr) return SendAll(fd_, bytes);
  while (!bytes.empty()) {
    const int written =
        SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), INT_MAX)));
    if (written <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

}  // namespace outreach::testing
