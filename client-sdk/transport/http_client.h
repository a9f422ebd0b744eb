// HttpClient: the device's HTTPS transport on libcurl. One handle per client, reused, so the
// pages of one sync share a keep-alive connection. Verifies the server with a CA file and,
// optionally, a pinned public key; retries network errors, 5xx and 429 with exponential backoff
// and jitter (honouring Retry-After). Never logs bodies or tokens.
//
// Not thread-safe: one request at a time (the SDK serialises calls).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/base/status.h"

namespace outreach::client {

struct TransportOptions {
  std::string base_url;  // "https://host:port"; "http://127.0.0.1:port" only for development
  // PEM bundle to verify the server with; empty: the system's CAs, or none when a pin is set.
  std::string ca_file;
  // "sha256//<base64 of the SHA-256 of the server's SubjectPublicKeyInfo>"; empty: no pinning.
  // With a CA file, the server must pass both; without one, the pin alone vouches for the
  // server (a self-signed certificate), its host name still checked.
  std::string pinned_public_key;
  // What a pin without a CA file means. kPinAlone: as above. kSystemCasAndPin: the system's
  // CAs must verify the server as well — what a lone pin meant for devices enrolled before
  // the SDK stored the trust mode (client-sdk/README.md), which keep that meaning.
  enum class LonePin { kPinAlone, kSystemCasAndPin };
  LonePin lone_pin = LonePin::kPinAlone;
  long connect_timeout_ms = 10'000;
  long transfer_timeout_ms = 120'000;  // whole request, per attempt
  int max_attempts = 5;                // first try included
  long backoff_initial_ms = 250;
  long backoff_max_ms = 15'000;
};

struct HttpResult {
  long status = 0;
  std::string content_type;  // without parameters
  std::string body;
};

// bytes sent and received so far in this attempt; totals 0 when unknown.
using TransferProgress = std::function<void(std::uint64_t sent, std::uint64_t sent_total,
                                            std::uint64_t received,
                                            std::uint64_t received_total)>;

struct RequestOptions {
  std::string bearer_token;            // sent as "Authorization: Bearer ..." when not empty
  std::string accept;                  // Accept header when not empty
  const std::atomic<bool>* cancel = nullptr;  // set to true to abort (aborted)
  TransferProgress progress;
};

class HttpClient {
 public:
  // invalid_argument: malformed base URL, or a URL that is not https unless it is
  // http://127.0.0.1 / http://localhost / http://[::1].
  static Result<std::unique_ptr<HttpClient>> Create(TransportOptions options);
  virtual ~HttpClient() = default;

  // The final answer after retries. Any HTTP status is a result (the caller reads 4xx error
  // bodies); Status errors: unavailable (network failures or 5xx/429 on every attempt; the
  // message names the last cause), aborted (cancelled), failed_precondition (TLS verification
  // or pin failed: never retried), invalid_argument (a path not starting with '/', or a line
  // break in a header value: nothing is sent), resource_exhausted (out of memory), internal
  // (the progress callback threw).
  virtual Result<HttpResult> Post(const std::string& path, const std::string& content_type,
                                  const std::string& body, const RequestOptions& options) = 0;
  virtual Result<HttpResult> Get(const std::string& path, const RequestOptions& options) = 0;
};

}  // namespace outreach::client
