// RequestAhead: a sync request sent while the previous answer is being applied. A push's
// next batch (or the next page) leaves as soon as the previous answer is in, so the server
// works on it while the device applies that answer: the two work at once instead of in turn.
// Its thread uses only the HTTP client, which nothing else uses until the answer is taken.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <string>

#include "client-sdk/transport/http_client.h"
#include "core/protocol/messages.h"

namespace outreach::client {

// One request of a sync, made ready to send: a batch of the outbox (possibly empty: a pull)
// with the cursor it pulls from.
struct PreparedRequest {
  protocol::SyncRequest request;  // its head (version, cursor); the changes are in `body` only
  std::size_t changes = 0;        // how many changes `body` carries
  std::string body;
  std::int64_t after_sequence = 0;  // outbox position its changes start after
  std::int64_t last_sequence = 0;   // outbox position of its last change
};

class RequestAhead {
 public:
  // `user_cancel` (may be null): the sync's cancel flag, passed on to the request on its way.
  explicit RequestAhead(const std::atomic<bool>* user_cancel) : user_cancel_(user_cancel) {}
  // Leaving with a request on its way (an error, a cancel): it is cancelled, and its thread
  // waited for. The server may still apply it; the next sync pushes it again (duplicates).
  ~RequestAhead();
  RequestAhead(const RequestAhead&) = delete;
  RequestAhead& operator=(const RequestAhead&) = delete;

  bool on_its_way() const { return answer_.valid(); }
  const PreparedRequest& request() const { return prepared_; }  // read-only while on its way
  // `options.cancel` is replaced by this request's own flag.
  void Send(HttpClient* http, PreparedRequest prepared, RequestOptions options);
  // Waits for its answer, passing a cancel of the sync on; `prepared` is the request it answers.
  Result<HttpResult> Take(PreparedRequest& prepared);

 private:
  const std::atomic<bool>* user_cancel_;
  std::atomic<bool> cancel_{false};
  PreparedRequest prepared_;
  std::future<Result<HttpResult>> answer_;
};

}  // namespace outreach::client
