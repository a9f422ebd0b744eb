// ServerStream: the bytes of one accepted test-server connection, in clear or through TLS
// (OpenSSL, blocking). Test servers read and write requests through it without caring which.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace outreach::testing {

struct TlsContextDeleter {
  void operator()(SSL_CTX* context) const;
};
using TlsContext = std::unique_ptr<SSL_CTX, TlsContextDeleter>;

// A server context (TLS 1.2 or later) presenting the chain in `chain_file` with the key in
// `key_file`. Throws std::runtime_error.
TlsContext MakeServerTlsContext(const std::string& chain_file, const std::string& key_file);

class ServerStream {
 public:
  // On `fd`, which stays owned by the caller. With `tls`, runs the server handshake first;
  // ok() tells whether it succeeded (a client refusing our certificate makes it fail).
  ServerStream(int fd, SSL_CTX* tls);
  ~ServerStream();
  ServerStream(const ServerStream&) = delete;
  ServerStream& operator=(const ServerStream&) = delete;

  bool ok() const { return ok_; }
  // Up to `size` bytes; 0 at the end of the stream or on any error.
  std::size_t Read(char* buffer, std::size_t size);
  // False when the peer is gone.
  bool WriteAll(std::string_view bytes);

 private:
  const int fd_;
  SSL* ssl_ = nullptr;
  bool ok_ = true;
};

}  // namespace outreach::testing
