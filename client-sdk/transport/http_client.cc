// The retry loop around CurlSession: which answers are retried, how long to wait, and what the
// caller gets when every attempt failed.
#include "client-sdk/transport/http_client.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "client-sdk/transport/internal/base_url.h"
#include "client-sdk/transport/internal/curl_session.h"
#include "client-sdk/transport/retry_policy.h"

namespace outreach::client {
namespace {

Status CheckOptions(const TransportOptions& options) {
  if (options.max_attempts < 1) return InvalidArgumentError("max_attempts must be at least 1");
  if (options.connect_timeout_ms <= 0 || options.transfer_timeout_ms <= 0) {
    return InvalidArgumentError("timeouts must be positive");
  }
  if (options.backoff_initial_ms < 0 || options.backoff_max_ms < options.backoff_initial_ms) {
    return InvalidArgumentError("backoff needs 0 <= backoff_initial_ms <= backoff_max_ms");
  }
  if (!options.pinned_public_key.empty() && !options.pinned_public_key.starts_with("sha256//")) {
    return InvalidArgumentError("pinned_public_key must be \"sha256//<base64>\"");
  }
  return Status::Ok();
}

class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient(TransportOptions options, detail::BaseUrl base,
                 std::unique_ptr<detail::CurlSession> session)
      : options_(std::move(options)), base_(std::move(base)), session_(std::move(session)) {}

  Result<HttpResult> Post(const std::string& path, const std::string& content_type,
                          const std::string& body, const RequestOptions& options) override {
    return Send("POST", path, {base_.prefix + path, &body, content_type}, options);
  }
  Result<HttpResult> Get(const std::string& path, const RequestOptions& options) override {
    return Send("GET", path, {base_.prefix + path, nullptr, ""}, options);
  }

 private:
  // POST is retried like GET: sync requests are idempotent (DESIGN.md I3), so a push the server
  // applied before the connection broke is applied once however often it is sent.
  Result<HttpResult> Send(const char* method, const std::string& path,
                          const detail::WireRequest& request, const RequestOptions& options);
  // False when cancelled before `delay_ms` passed.
  bool WaitUnlessCancelled(long delay_ms, const std::atomic<bool>* cancel);
  double UnitRandom() { return std::uniform_real_distribution<double>(0.0, 1.0)(random_); }

  const TransportOptions options_;
  const detail::BaseUrl base_;
  std::unique_ptr<detail::CurlSession> session_;
  std::mt19937_64 random_{std::random_device{}()};  // jitter only; nothing secret
};

Result<HttpResult> CurlHttpClient::Send(const char* method, const std::string& path,
                                        const detail::WireRequest& request,
                                        const RequestOptions& options) {
  OUTREACH_RETURN_IF_ERROR(detail::CheckRequestPath(path));
  const BackoffSchedule schedule{options_.backoff_initial_ms, options_.backoff_max_ms};
  std::string last_cause;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (detail::IsCancelled(options.cancel)) return Status(StatusCode::kAborted, "request cancelled");
    detail::AttemptOutcome outcome = session_->Perform(request, options);
    std::optional<long> retry_after_ms;
    switch (outcome.kind) {
      case detail::AttemptOutcome::Kind::kFinal:
        return outcome.error;
      case detail::AttemptOutcome::Kind::kRetryable:
        last_cause = outcome.error.message();
        break;
      case detail::AttemptOutcome::Kind::kAnswered:
        if (!IsRetryableHttpStatus(outcome.response.status)) return std::move(outcome.response);
        last_cause = "HTTP " + std::to_string(outcome.response.status);
        if (outcome.retry_after) {
          retry_after_ms = ParseRetryAfterMs(*outcome.retry_after, std::chrono::system_clock::now());
        }
        break;
    }
    if (attempt == options_.max_attempts) break;
    const long delay_ms = RetryDelayMs(schedule, attempt, UnitRandom(), retry_after_ms);
    if (!WaitUnlessCancelled(delay_ms, options.cancel)) {
      return Status(StatusCode::kAborted, "request cancelled");
    }
  }
  return UnavailableError(std::string(method) + " " + path + " failed " +
                          std::to_string(options_.max_attempts) + " times; last: " + last_cause);
}

bool CurlHttpClient::WaitUnlessCancelled(long delay_ms, const std::atomic<bool>* cancel) {
  // Sleep in slices so a cancel during a long Retry-After is noticed quickly.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  while (!detail::IsCancelled(cancel)) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(deadline - now,
                                                      std::chrono::milliseconds(detail::kCancelCheckMs)));
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::Create(TransportOptions options) {
  OUTREACH_RETURN_IF_ERROR(CheckOptions(options));
  OUTREACH_ASSIGN_OR_RETURN(detail::BaseUrl base, detail::CheckBaseUrl(options.base_url));
  OUTREACH_ASSIGN_OR_RETURN(std::unique_ptr<detail::CurlSession> session,
                            detail::CurlSession::Create(options, base.https));
  return std::unique_ptr<HttpClient>(
      new CurlHttpClient(std::move(options), std::move(base), std::move(session)));
}

}  // namespace outreach::client
