// RequestAhead: a sync request sent while the previous answer is being applied. A push's
// next batch (or the next page) leaves as soon as the previous answer is in, so the server
// works on it while the device applies that answer: the two work at once instead of in turn.
// Its thread uses the HTTP client, which nothing else uses until the answer is taken. It first
// frees an answer already applied (FreeLater): a page's decoded records are many small
// allocations, and freeing them took the applying thread about as long as applying them (made
// on another thread, each free also waited on that thread's allocator).
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client-sdk/transport/http_client.h"
#include "core/base/status.h"
#include "core/protocol/messages.h"
#include "core/replica/replica.h"

namespace outreach::client {

// One request of a sync, made ready to send: a batch of the outbox (possibly empty: a pull)
// with the cursor it pulls from.
struct PreparedRequest {
  protocol::SyncRequest request;  // its head (version, cursor); the changes are in `body` only
  std::size_t changes = 0;        // how many changes `body` carries
  std::string body;
  std::int64_t last_sequence = 0;  // outbox position of its last change
};

// An answer as it arrived. The thread that received it decodes a 200's body and makes each
// record's values (decoding a page and listing its records are a good part of applying it,
// and that thread is otherwise idle).
struct ReceivedAnswer {
  HttpResult http;
  std::optional<Result<protocol::SyncResponse>> response;  // a 200's
  std::vector<std::string> stored_records;  // its records as they came (DecodeBinaryResponse)
  std::vector<std::string> record_values;   // Replica::ValuesText of each ("": not made)
};

// Posts a sync request and decodes a 200 answer; `values_of` (may be null) makes the records'
// values (only its schemas are read).
Result<ReceivedAnswer> SendAndReceive(HttpClient* http, const std::string& body,
                                      const RequestOptions& options,
                                      const replica::Replica* values_of);

// An answer once applied, waiting to be freed.
struct AppliedAnswer {
  ReceivedAnswer received;
  protocol::SyncResponse response;
  std::vector<std::string> stored_records;
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
  // `options.cancel` is replaced by this request's own flag. `values_of`: SendAndReceive's; it
  // must live until the answer is taken.
  void Send(HttpClient* http, PreparedRequest prepared, RequestOptions options,
            const replica::Replica* values_of);
  // Waits for its answer, passing a cancel of the sync on; `prepared` is the request it answers.
  Result<ReceivedAnswer> Take(PreparedRequest& prepared);
  // Hands over an applied answer, freed by the thread of a later request before it leaves (the
  // next request usually left before this answer was applied), or when this object goes. At
  // most one waits: handing over another while one waits frees the one waiting, here.
  void FreeLater(AppliedAnswer applied);

 private:
  void FreeWaiting();

  const std::atomic<bool>* user_cancel_;
  std::atomic<bool> cancel_{false};
  PreparedRequest prepared_;
  std::future<Result<ReceivedAnswer>> answer_;
  std::mutex waiting_mutex_;
  std::unique_ptr<AppliedAnswer> waiting_;  // to be freed; guarded by waiting_mutex_
};

}  // namespace outreach::client
