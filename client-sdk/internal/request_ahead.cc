#include "client-sdk/internal/request_ahead.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <exception>
#include <memory>
#include <system_error>
#include <utility>

#include "core/protocol/binary_codec.h"

namespace outreach::client {
namespace {

constexpr auto kCancelCheck = std::chrono::milliseconds(50);

// Decodes a 200's body and reads its records (reader may be null: left to the applier).
// `written`: the version its request was written in (the records' form follows it).
void Decode(ReceivedAnswer& answer, const replica::Replica* reader,
            protocol::ProtocolVersion written) {
  answer.response = protocol::DecodeBinaryResponse(answer.http.body, {}, &answer.stored_records,
                                                   /*leave_packed=*/reader != nullptr, written);
  if (reader == nullptr || !answer.response->ok()) return;
  auto pulled = ReadRecords(*reader, **answer.response, answer.stored_records);
  if (!pulled.ok()) {
    answer.response = pulled.status();
    return;
  }
  answer.pulled = *std::move(pulled);
}

// Posts `prepared`: its answer, not yet decoded, with how long it took.
Result<ReceivedAnswer> Exchange(HttpClient* http, const PreparedRequest& prepared,
                                const RequestOptions& options) {
  const auto left = std::chrono::steady_clock::now();
  OUTREACH_ASSIGN_OR_RETURN(
      HttpResult http_answer,
      http->Post("/v1/sync", std::string(protocol::kBinaryContentType), prepared.body, options));
  ReceivedAnswer answer{std::move(http_answer), std::nullopt, {}, {}, 0};
  answer.exchange_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - left)
                           .count();
  return answer;
}

}  // namespace

std::uint32_t GrownPage(std::uint32_t asked, std::uint32_t limit) {
  if (asked == 0 || limit == 0) return limit;
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(limit, 2 * static_cast<std::uint64_t>(asked)));
}

Result<std::vector<replica::PulledRecord>> ReadRecords(const replica::Replica& reader,
                                                       protocol::SyncResponse& response,
                                                       std::vector<std::string>& stored_records) {
  std::vector<replica::PulledRecord> pulled;
  if (response.records.empty()) {  // a 1.3 answer left packed (or no records)
    pulled.reserve(stored_records.size());
    for (std::string& bytes : stored_records) {
      replica::PulledRecord& record = pulled.emplace_back();
      OUTREACH_ASSIGN_OR_RETURN(record, reader.ReadPulled(std::move(bytes)));
    }
  } else {
    if (stored_records.size() != response.records.size()) {
      return InvalidArgumentError("stored records do not match the records");
    }
    pulled.reserve(response.records.size());
    for (std::size_t i = 0; i < response.records.size(); ++i) {
      pulled.push_back(
          reader.PulledOf(std::move(response.records[i]), std::move(stored_records[i])));
    }
  }
  response.records.clear();
  stored_records.clear();
  return pulled;
}

Result<ReceivedAnswer> SendAndReceive(HttpClient* http, const PreparedRequest& prepared,
                                      const RequestOptions& options,
                                      const replica::Replica* reader) {
  OUTREACH_ASSIGN_OR_RETURN(ReceivedAnswer answer, Exchange(http, prepared, options));
  if (answer.http.status == 200) {
    Decode(answer, reader, prepared.request.version);
  }
  return answer;
}

RequestAhead::RequestAhead(const std::atomic<bool>* user_cancel, NextPageOf next_page)
    : user_cancel_(user_cancel), next_page_(std::move(next_page)) {}

RequestAhead::~RequestAhead() {
  CancelAll();
  FreeWaiting();
  for (std::future<void>& freeing : freeing_) freeing.wait();
}

void RequestAhead::Cancel() {
  {
    std::lock_guard lock(flights_mutex_);  // a thread waiting for its turn sees it
    cancel_.store(true);
  }
  turn_.notify_all();
}

void RequestAhead::CancelAll() {
  // Never leave a thread running: they use the HTTP client, and this object.
  Cancel();
  while (true) {
    std::unique_ptr<Flight> flight;
    {
      std::lock_guard lock(flights_mutex_);
      if (flights_.empty()) break;
      flight = std::move(flights_.front());
      flights_.pop_front();
    }
    turn_.notify_all();
    // A later thread may still be launching one more: the loop takes it too.
    if (flight->answer.valid()) flight->answer.wait();
  }
  // Ready for the next request, unless the sync itself was cancelled.
  cancel_.store(user_cancel_ != nullptr && user_cancel_->load());
}

bool RequestAhead::on_its_way() const {
  std::lock_guard lock(flights_mutex_);
  return !flights_.empty();
}

const PreparedRequest& RequestAhead::request() const {
  std::lock_guard lock(flights_mutex_);
  // A Flight never moves, and only the applying thread removes one (Take, CancelAll): the
  // reference holds until that thread takes it.
  return flights_.front()->prepared;
}

void RequestAhead::Send(HttpClient* http, PreparedRequest prepared, RequestOptions options,
                        const replica::Replica* reader) {
  options.cancel = &cancel_;
  if (Launch(http, prepared, options, reader)) return;
  // No thread to be had (or the sync is cancelled): the request goes now, on this one, under the
  // sync's own cancel flag (nothing polls it into cancel_ until Take).
  if (user_cancel_ != nullptr) options.cancel = user_cancel_;
  FreeWaiting();
  auto flight = std::make_unique<Flight>();
  flight->prepared = std::move(prepared);
  std::promise<Result<ReceivedAnswer>> answered;
  answered.set_value(
      SendAndReceive(http, flight->prepared, options, reader));
  flight->answer = answered.get_future();
  std::lock_guard lock(flights_mutex_);
  flight->number = sent_++;
  flights_.push_back(std::move(flight));
}

bool RequestAhead::Launch(HttpClient* http, PreparedRequest& prepared, const RequestOptions& options,
                          const replica::Replica* reader) {
  std::lock_guard lock(flights_mutex_);
  if (cancel_.load()) return false;
  // Queued before its thread starts: nothing that can throw comes between the two.
  Flight* launched = flights_.emplace_back(std::make_unique<Flight>()).get();
  launched->prepared = std::move(prepared);
  launched->number = sent_;
  try {
    launched->answer = std::async(std::launch::async, [this, launched, http, options, reader] {
      return Run(launched, http, options, reader);
    });
  } catch (const std::system_error&) {
    prepared = std::move(launched->prepared);
    flights_.pop_back();
    return false;
  }
  ++sent_;
  return true;
}

Result<ReceivedAnswer> RequestAhead::Run(const Flight* flight, HttpClient* http,
                                         const RequestOptions& options,
                                         const replica::Replica* reader) {
  // Before the request leaves: after it, this thread holds up the answer (the server takes
  // about as long to answer as freeing takes).
  FreeWaiting();
  OUTREACH_ASSIGN_OR_RETURN(ReceivedAnswer answer, Exchange(http, flight->prepared, options));
  if (answer.http.status != 200) return answer;
  // One decoded page waits for the applying thread at most: this one is decoded once the
  // pages before it are taken.
  if (!WaitForTurn(flight->number)) return AbortedError("sync cancelled");
  // The page before last was applied meanwhile, usually: freed before this one is decoded, so
  // no more than two decoded pages are alive at once.
  FreeWaiting();
  if (next_page_ && flight->prepared.changes == 0) {  // a push's answer asks for nothing
    // The next page leaves now, from this page's head: the server answers it while this page
    // is decoded (a head that does not read is left to the whole decode to report).
    auto head = protocol::DecodeBinaryResponseHead(answer.http.body);
    if (head.ok()) {
      // Not launched (no thread, or cancelled): the applying thread asks for it.
      if (std::optional<PreparedRequest> next = next_page_(flight->prepared, *head)) {
        (void)Launch(http, *next, options, reader);
      }
    }
  }
  Decode(answer, reader, flight->prepared.request.version);
  return answer;
}

bool RequestAhead::WaitForTurn(std::uint64_t number) {
  std::unique_lock lock(flights_mutex_);
  turn_.wait(lock, [&] {
    return cancel_.load() || (!flights_.empty() && flights_.front()->number == number);
  });
  return !cancel_.load();
}

void RequestAhead::FreeLater(AppliedAnswer applied) {
  auto handed = std::make_unique<AppliedAnswer>(std::move(applied));
  {
    std::lock_guard lock(waiting_mutex_);
    std::swap(handed, waiting_);
  }
  if (handed) FreeAside(std::move(handed));  // no thread took the one waiting before
}

void RequestAhead::FreeAside(std::unique_ptr<AppliedAnswer> answer) {
  try {
    freeing_.push_back(std::async(std::launch::async,
                                  [freed = std::move(answer)]() mutable { freed.reset(); }));
  } catch (const std::system_error&) {
    // No thread to be had: freed here, with the task that held it.
  }
}

void RequestAhead::FreeWaiting() {
  std::unique_ptr<AppliedAnswer> freed;
  {
    std::lock_guard lock(waiting_mutex_);
    freed = std::move(waiting_);
  }
}

Result<ReceivedAnswer> RequestAhead::Take(PreparedRequest& prepared) {
  Flight* oldest = nullptr;
  {
    std::lock_guard lock(flights_mutex_);
    oldest = flights_.front().get();  // stays in place (its thread waits to be the front)
  }
  while (oldest->answer.wait_for(kCancelCheck) != std::future_status::ready) {
    if (user_cancel_ != nullptr && user_cancel_->load()) Cancel();
  }
  std::unique_ptr<Flight> taken;
  bool none_on_its_way = false;
  {
    std::lock_guard lock(flights_mutex_);
    assert(flights_.front().get() == oldest);  // only this thread removes flights
    taken = std::move(flights_.front());
    flights_.pop_front();
    none_on_its_way = flights_.empty();
  }
  turn_.notify_all();  // the next page may be decoded now
  if (none_on_its_way && taken->prepared.changes == 0) {
    // The last page of a pull: no thread will free the answer waiting (the page before it),
    // so it is freed on a thread of its own while this one is applied, not on the applying
    // thread after it. (After a push, the next batch's thread frees it as it leaves.)
    std::unique_ptr<AppliedAnswer> waiting;
    {
      std::lock_guard lock(waiting_mutex_);
      waiting = std::move(waiting_);
    }
    if (waiting) FreeAside(std::move(waiting));
  }
  Result<ReceivedAnswer> answer = taken->answer.get();
  prepared = std::move(taken->prepared);
  return answer;
}

}  // namespace outreach::client
