#include "client-sdk/internal/request_ahead.h"

#include <chrono>
#include <system_error>
#include <utility>

namespace outreach::client {
namespace {

constexpr auto kCancelCheck = std::chrono::milliseconds(50);

Result<HttpResult> PostSync(HttpClient* http, const std::string& body,
                            const RequestOptions& options) {
  return http->Post("/v1/sync", std::string(protocol::kBinaryContentType), body, options);
}

}  // namespace

RequestAhead::~RequestAhead() {
  if (!answer_.valid()) return;
  cancel_.store(true);
  answer_.wait();  // never leave its thread running: it uses the HTTP client
}

void RequestAhead::Send(HttpClient* http, PreparedRequest prepared, RequestOptions options) {
  prepared_ = std::move(prepared);
  cancel_.store(false);
  options.cancel = &cancel_;
  try {
    answer_ = std::async(std::launch::async, [http, body = &prepared_.body, options] {
      return PostSync(http, *body, options);
    });
  } catch (const std::system_error&) {
    // No thread to be had: the request goes now, on this one.
    std::promise<Result<HttpResult>> answered;
    answered.set_value(PostSync(http, prepared_.body, options));
    answer_ = answered.get_future();
  }
}

Result<HttpResult> RequestAhead::Take(PreparedRequest& prepared) {
  while (answer_.wait_for(kCancelCheck) != std::future_status::ready) {
    if (user_cancel_ != nullptr && user_cancel_->load()) cancel_.store(true);
  }
  Result<HttpResult> answer = answer_.get();
  prepared = std::move(prepared_);
  return answer;
}

}  // namespace outreach::client
