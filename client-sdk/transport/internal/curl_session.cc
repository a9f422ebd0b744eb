// CurlSession, the transfer: one attempt through the multi handle, and the callbacks that
// collect the body, report progress and notice a cancel.
#include "client-sdk/transport/internal/curl_session.h"

#include <algorithm>
#include <cctype>
#include <new>
#include <string>

#include "client-sdk/transport/internal/curl_errors.h"

namespace outreach::client::detail {
namespace {

struct HeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, HeaderListDeleter>;

// "Application/JSON; charset=utf-8" -> "application/json": callers compare media types, and
// those are case-insensitive.
std::string MediaType(const char* content_type) {
  if (content_type == nullptr) return "";
  std::string type(content_type);
  type = type.substr(0, type.find(';'));
  const auto not_space = [](unsigned char c) { return c != ' ' && c != '\t'; };
  type.erase(type.begin(), std::find_if(type.begin(), type.end(), not_space));
  type.erase(std::find_if(type.rbegin(), type.rend(), not_space).base(), type.end());
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

CURLcode FromMultiCode(CURLMcode code) {
  return code == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
}

AttemptOutcome FinalOutcome(Status error) {
  AttemptOutcome outcome;
  outcome.kind = AttemptOutcome::Kind::kFinal;
  outcome.error = std::move(error);
  return outcome;
}

}  // namespace

CurlSession::~CurlSession() {
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
}

AttemptOutcome CurlSession::Perform(const WireRequest& request, const RequestOptions& options) {
  curl_slist* raw_headers = nullptr;
  const Status set = SetPerRequestOptions(request, options, &raw_headers);
  HeaderList headers(raw_headers);
  if (!set.ok()) return FinalOutcome(set);

  std::string body;
  current_options_ = &options;
  current_body_ = &body;
  progress_failed_ = false;
  error_buffer_[0] = '\0';
  const CURLcode code = RunTransfer(options.cancel);
  current_options_ = nullptr;
  current_body_ = nullptr;
  // The list dies with this call; the handle must not keep pointing at it.
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, nullptr);

  if (progress_failed_) return FinalOutcome(InternalError("the progress callback threw"));
  if (code != CURLE_OK) {
    AttemptOutcome outcome = FinalOutcome(CurlErrorStatus(code, error_buffer_));
    if (IsRetryableCurlError(code)) outcome.kind = AttemptOutcome::Kind::kRetryable;
    return outcome;
  }
  AttemptOutcome outcome = Answered();
  outcome.response.body = std::move(body);
  return outcome;
}

CURLcode CurlSession::RunTransfer(const std::atomic<bool>* cancel) {
  CURLMcode added = curl_multi_add_handle(multi_, easy_);
  if (added != CURLM_OK) return FromMultiCode(added);
  CURLcode result = CURLE_FAILED_INIT;  // kept only if libcurl never reports the end
  while (true) {
    if (IsCancelled(cancel)) {
      // Removing the handle mid-transfer (below) closes that connection, as a cancel should.
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    int running = 0;
    CURLMcode step = curl_multi_perform(multi_, &running);
    if (step == CURLM_OK && running == 0) {
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg == CURLMSG_DONE) result = message->data.result;
      }
      break;
    }
    // The short poll timeout is what lets a stalled transfer notice a cancel.
    if (step == CURLM_OK) step = curl_multi_poll(multi_, nullptr, 0, kCancelCheckMs, nullptr);
    if (step != CURLM_OK) {
      result = FromMultiCode(step);
      break;
    }
  }
  curl_multi_remove_handle(multi_, easy_);
  return result;
}

AttemptOutcome CurlSession::Answered() {
  AttemptOutcome outcome;
  outcome.kind = AttemptOutcome::Kind::kAnswered;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &outcome.response.status);
  const char* content_type = nullptr;
  curl_easy_getinfo(easy_, CURLINFO_CONTENT_TYPE, &content_type);
  outcome.response.content_type = MediaType(content_type);
  curl_header* retry_after = nullptr;
  // -1: the last response of the transfer, not an interim one.
  if (curl_easy_header(easy_, "Retry-After", 0, CURLH_HEADER, -1, &retry_after) == CURLHE_OK) {
    outcome.retry_after = retry_after->value;
  }
  return outcome;
}

size_t CurlSession::OnBodyBytes(char* data, size_t size, size_t count, void* session) {
  auto* self = static_cast<CurlSession*>(session);
  try {
    self->current_body_->append(data, size * count);
  } catch (const std::bad_alloc&) {
    return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
  }
  return size * count;
}

int CurlSession::OnProgress(void* session, curl_off_t received_total, curl_off_t received,
                            curl_off_t sent_total, curl_off_t sent) {
  auto* self = static_cast<CurlSession*>(session);
  const RequestOptions& options = *self->current_options_;
  if (IsCancelled(options.cancel)) return 1;  // libcurl ends with CURLE_ABORTED_BY_CALLBACK
  if (!options.progress) return 0;
  try {
    options.progress(static_cast<std::uint64_t>(sent), static_cast<std::uint64_t>(sent_total),
                     static_cast<std::uint64_t>(received),
                     static_cast<std::uint64_t>(received_total));
  } catch (...) {
    // An exception must not unwind through libcurl's C frames.
    self->progress_failed_ = true;
    return 1;
  }
  return 0;
}

}  // namespace outreach::client::detail
