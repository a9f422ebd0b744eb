#include "client-sdk/c_api/internal/c_boundary.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace outreach::c_api::detail {
namespace {

thread_local std::string last_error;
// Set instead of last_error when even an allocation for the message failed.
thread_local const char* fixed_last_error = nullptr;

void SetFixedError(const char* message) noexcept {
  last_error.clear();  // never throws
  fixed_last_error = message;
}

}  // namespace

void SetLastError(const Status& status) noexcept {
  try {
    last_error = status.message();
    fixed_last_error = nullptr;
  } catch (...) {
    SetFixedError("out of memory while reporting an error");
  }
}

const char* LastError() noexcept {
  return fixed_last_error != nullptr ? fixed_last_error : last_error.c_str();
}

int ReportCurrentException() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    SetFixedError("out of memory");
    return static_cast<int>(StatusCode::kResourceExhausted);
  } catch (...) {
    SetFixedError("internal error: an unexpected exception reached the C boundary");
    return static_cast<int>(StatusCode::kInternal);
  }
}

Result<std::string_view> Required(const char* text, std::string_view what) {
  if (text == nullptr || *text == '\0') {
    return InvalidArgumentError(std::string(what) + " is NULL or empty");
  }
  return std::string_view(text);
}

std::string_view Optional(const char* text) {
  return text == nullptr ? std::string_view() : std::string_view(text);
}

Result<model::Json> ParseJsonArgument(const char* text, std::string_view what) {
  if (text == nullptr) return InvalidArgumentError(std::string(what) + " is NULL");
  model::Json json = model::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return InvalidArgumentError(std::string(what) + " is not valid JSON");
  return json;
}

Status CopyOut(std::string_view text, char** out) {
  if (out == nullptr) return Status::Ok();
  auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) return Status(StatusCode::kResourceExhausted, "out of memory");
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  *out = copy;
  return Status::Ok();
}

}  // namespace outreach::c_api::detail
