// RequestAhead: sync requests sent while the previous answer is being applied. A push's next
// batch leaves as soon as the previous answer is in, and a pull's next page as soon as the
// previous page's head is read, so the server works on it while the device decodes and applies
// that page: they work at once instead of in turn. Its threads use the HTTP client one at a
// time (a page's thread asks for the next page once its own exchange is over), and the
// applying thread uses it only when nothing is on its way. Each thread first
// frees an answer already applied (FreeLater): a page's decoded records are many small
// allocations, and freeing them took the applying thread about as long as applying them (made
// on another thread, each free also waited on that thread's allocator).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
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
  // The sync's page size (SyncOptions::page_size), which pages grow to (GrownPage).
  std::uint32_t page_size_limit = 0;
};

// The page size to ask for after a request that asked for `asked`: twice as many, up to
// `limit` (0: the server's default, which is not grown).
std::uint32_t GrownPage(std::uint32_t asked, std::uint32_t limit);

// An answer as it arrived. The thread that received it decodes a 200's body and reads each
// record (decoding a page and reading its records are a good part of applying it, and that
// thread is otherwise idle).
struct ReceivedAnswer {
  HttpResult http;
  std::optional<Result<protocol::SyncResponse>> response;  // a 200's
  std::vector<std::string> stored_records;  // its records as they came (DecodeBinaryResponse)
  // Its records read (ReadRecords), their states and bytes moved here; empty: not read yet.
  std::vector<replica::PulledRecord> pulled;
  // From the request leaving to its answer arriving, retries included.
  std::int64_t exchange_ms = 0;
};

// A decoded answer's records read by `reader` (Replica::ReadPulled of a 1.3 answer's packed
// bytes, PulledOf an older answer's states), moved out of `response.records` and
// `stored_records`. invalid_argument: a record's bytes are not a record (a malformed answer).
Result<std::vector<replica::PulledRecord>> ReadRecords(const replica::Replica& reader,
                                                       protocol::SyncResponse& response,
                                                       std::vector<std::string>& stored_records);

// Posts a sync request and decodes a 200 answer; `reader` (may be null) reads its records
// (ReadRecords: nothing of the replica is read). Null: the records are decoded whole, for the
// applying thread to read.
Result<ReceivedAnswer> SendAndReceive(HttpClient* http, const PreparedRequest& prepared,
                                      const RequestOptions& options,
                                      const replica::Replica* reader);

// An answer once applied, waiting to be freed.
struct AppliedAnswer {
  ReceivedAnswer received;
  protocol::SyncResponse response;
  std::vector<std::string> stored_records;
};

// Asks for the page after a pulled one, from that page's head alone (its records not yet
// decoded): the next request, or nullopt when the applying thread must decide (not a pull, no
// more to come, a directive, other schemas or another protocol version). Called on a request's
// own thread: it must read nothing but its arguments.
using NextPageOf = std::function<std::optional<PreparedRequest>(
    const PreparedRequest& page, const protocol::SyncResponse& head)>;

class RequestAhead {
 public:
  // `user_cancel` (may be null): the sync's cancel flag, passed on to the requests on their way.
  // `next_page` (may be empty: no chaining): see NextPageOf.
  explicit RequestAhead(const std::atomic<bool>* user_cancel, NextPageOf next_page = {});
  // Leaving with requests on their way (an error, a cancel): they are cancelled, and their
  // threads waited for. The server may still apply them; the next sync pushes them again
  // (duplicates) or pulls from the cursor applied.
  ~RequestAhead();
  RequestAhead(const RequestAhead&) = delete;
  RequestAhead& operator=(const RequestAhead&) = delete;

  // A request sent and not yet taken: the applying thread sends none of its own meanwhile.
  bool on_its_way() const;
  // The oldest request not yet taken; read-only while on its way.
  const PreparedRequest& request() const;
  // `options.cancel` is replaced by this object's own flag. `reader`: SendAndReceive's; it
  // must live until the answers are taken. A pulled page's thread asks for the next page
  // (next_page) before decoding its own, so the server answers it meanwhile; pages are decoded
  // one at a time, in order, each once the one before it is taken.
  void Send(HttpClient* http, PreparedRequest prepared, RequestOptions options,
            const replica::Replica* reader);
  // Waits for the oldest request's answer, passing a cancel of the sync on; `prepared` is the
  // request it answers.
  Result<ReceivedAnswer> Take(PreparedRequest& prepared);
  // Cancels every request on its way and waits for their threads (before the applying thread
  // uses the HTTP client itself).
  void CancelAll();
  // Hands over an applied answer, freed by the thread of a later request before it leaves (the
  // next request usually left before this answer was applied), or when this object goes. At
  // most one waits: handing over another while one waits frees the one waiting on a thread of
  // its own (FreeAside), as does taking an answer with no request left on its way.
  void FreeLater(AppliedAnswer applied);

 private:
  struct Flight {
    std::uint64_t number = 0;
    PreparedRequest prepared;
    std::future<Result<ReceivedAnswer>> answer;
  };

  // Sends `prepared` on a thread of its own; false (`prepared` left as it was) if cancelled
  // or no thread is to be had.
  bool Launch(HttpClient* http, PreparedRequest& prepared, const RequestOptions& options,
              const replica::Replica* reader);
  Result<ReceivedAnswer> Run(const Flight* flight, HttpClient* http, const RequestOptions& options,
                             const replica::Replica* reader);
  // Until every request sent before `number` is taken; false if cancelled meanwhile.
  bool WaitForTurn(std::uint64_t number);
  // Sets cancel_ (under the lock, so a thread waiting for its turn sees it) and wakes them.
  void Cancel();
  void FreeWaiting();
  // Frees `answer` on a thread of its own, waited for when this object goes (here if no thread
  // is to be had). Only the applying thread calls it.
  void FreeAside(std::unique_ptr<AppliedAnswer> answer);

  const std::atomic<bool>* user_cancel_;
  const NextPageOf next_page_;
  std::atomic<bool> cancel_{false};
  mutable std::mutex flights_mutex_;
  std::condition_variable turn_;
  std::deque<std::unique_ptr<Flight>> flights_;  // not yet taken, oldest first
  std::uint64_t sent_ = 0;                       // requests launched; numbers them
  std::mutex waiting_mutex_;
  std::unique_ptr<AppliedAnswer> waiting_;  // to be freed; guarded by waiting_mutex_
  std::vector<std::future<void>> freeing_;  // FreeAside's; the applying thread's only
};

}  // namespace outreach::client
