#include "client-sdk/internal/request_ahead.h"

#include <chrono>
#include <exception>
#include <memory>
#include <system_error>
#include <utility>

#include "core/protocol/binary_codec.h"

namespace outreach::client {
namespace {

constexpr auto kCancelCheck = std::chrono::milliseconds(50);

}  // namespace

Result<ReceivedAnswer> SendAndReceive(HttpClient* http, const std::string& body,
                                      const RequestOptions& options,
                                      const replica::Replica* values_of) {
  OUTREACH_ASSIGN_OR_RETURN(
      HttpResult http_answer,
      http->Post("/v1/sync", std::string(protocol::kBinaryContentType), body, options));
  ReceivedAnswer answer{std::move(http_answer), std::nullopt, {}, {}};
  if (answer.http.status != 200) return answer;
  answer.response = protocol::DecodeBinaryResponse(answer.http.body, {}, &answer.stored_records);
  if (values_of == nullptr || !answer.response->ok()) return answer;
  // Only a head start: if making them fails, the applying thread makes them itself.
  try {
    const auto& records = (*answer.response)->records;
    answer.record_values.reserve(records.size());
    for (const model::RecordState& record : records) {
      answer.record_values.push_back(values_of->ValuesText(record).value_or(""));
    }
  } catch (const std::exception&) {
    answer.record_values.clear();
  }
  return answer;
}

RequestAhead::~RequestAhead() {
  if (!answer_.valid()) return;
  cancel_.store(true);
  answer_.wait();  // never leave its thread running: it uses the HTTP client, and this object
}

void RequestAhead::Send(HttpClient* http, PreparedRequest prepared, RequestOptions options,
                        const replica::Replica* values_of) {
  prepared_ = std::move(prepared);
  cancel_.store(false);
  options.cancel = &cancel_;
  try {
    answer_ = std::async(std::launch::async, [this, http, options, values_of] {
      // Before the request leaves: after it, this thread holds up the answer (the server
      // takes about as long to answer as freeing takes).
      FreeWaiting();
      return SendAndReceive(http, prepared_.body, options, values_of);
    });
  } catch (const std::system_error&) {
    // No thread to be had: the request goes now, on this one.
    FreeWaiting();
    std::promise<Result<ReceivedAnswer>> answered;
    answered.set_value(SendAndReceive(http, prepared_.body, options, values_of));
    answer_ = answered.get_future();
  }
}

void RequestAhead::FreeLater(AppliedAnswer applied) {
  auto handed = std::make_unique<AppliedAnswer>(std::move(applied));
  std::lock_guard lock(waiting_mutex_);
  std::swap(handed, waiting_);  // the one waiting before, if any, is freed here on leaving
}

void RequestAhead::FreeWaiting() {
  std::unique_ptr<AppliedAnswer> freed;
  {
    std::lock_guard lock(waiting_mutex_);
    freed = std::move(waiting_);
  }
}

Result<ReceivedAnswer> RequestAhead::Take(PreparedRequest& prepared) {
  while (answer_.wait_for(kCancelCheck) != std::future_status::ready) {
    if (user_cancel_ != nullptr && user_cancel_->load()) cancel_.store(true);
  }
  Result<ReceivedAnswer> answer = answer_.get();
  prepared = std::move(prepared_);
  return answer;
}

}  // namespace outreach::client
