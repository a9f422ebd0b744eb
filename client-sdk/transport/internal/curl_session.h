// CurlSession: one libcurl easy handle, kept for the life of an HttpClient so its connection
// stays open between requests (keep-alive), driven through a multi handle so that a cancel
// request is noticed within kCancelCheckMs even while the server sends nothing.
// One attempt per Perform call; retrying is the caller's business.
//
// Not thread-safe: one Perform at a time.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "client-sdk/transport/http_client.h"
#include "core/base/status.h"

namespace outreach::client::detail {

// How often a transfer that makes no progress still checks the cancel flag.
inline constexpr long kCancelCheckMs = 50;

inline bool IsCancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

// One HTTP request as the wire sees it.
struct WireRequest {
  std::string url;
  const std::string* post_body = nullptr;  // nullptr: GET; else POST with it (must outlive Perform)
  std::string content_type;                // POST only
};

// How one attempt ended.
struct AttemptOutcome {
  // kAnswered: `response` holds whatever the server said (any status). kRetryable: the network
  // failed in a way another attempt may not; `error` names it. kFinal: `error` is the answer.
  enum class Kind { kAnswered, kRetryable, kFinal };
  Kind kind = Kind::kFinal;
  HttpResult response;
  std::optional<std::string> retry_after;  // the Retry-After header, when answered with one
  Status error;
};

class CurlSession {
 public:
  // Creates the handles and sets everything that does not change between requests: TLS
  // (verify peer and host, TLS 1.2+, `ca_file`, pin), timeouts, allowed protocol.
  // resource_exhausted / internal: libcurl could not be set up.
  static Result<std::unique_ptr<CurlSession>> Create(const TransportOptions& options, bool https);
  ~CurlSession();
  CurlSession(const CurlSession&) = delete;
  CurlSession& operator=(const CurlSession&) = delete;

  // Sends `request` once. invalid_argument (kFinal) when a header value carries CR or LF.
  AttemptOutcome Perform(const WireRequest& request, const RequestOptions& options);

 private:
  CurlSession(CURLM* multi, CURL* easy) : multi_(multi), easy_(easy) {}
  Status SetPerRequestOptions(const WireRequest& request, const RequestOptions& options,
                              curl_slist** headers);
  // Runs the transfer to its end or until cancelled; CURLE_ABORTED_BY_CALLBACK when cancelled.
  CURLcode RunTransfer(const std::atomic<bool>* cancel);
  AttemptOutcome Answered();

  static size_t OnBodyBytes(char* data, size_t size, size_t count, void* session);
  static int OnProgress(void* session, curl_off_t received_total, curl_off_t received,
                        curl_off_t sent_total, curl_off_t sent);

  CURLM* multi_;  // owns the connection cache that keeps the connection alive between requests
  CURL* easy_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  // Only set during Perform, for the callbacks.
  const RequestOptions* current_options_ = nullptr;
  std::string* current_body_ = nullptr;
  bool progress_failed_ = false;
};

}  // namespace outreach::client::detail
