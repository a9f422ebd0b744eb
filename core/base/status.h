// Status and Result<T>: how every fallible call in outreach-sync reports failure.
// A code plus a message (ids only, never record contents, passcodes or keys). The OK path
// allocates nothing. Expected outcomes (wrong passcode, corrupt page, full disk) are values,
// never exceptions.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace outreach {

// The canonical codes. Each says what a caller should do about it.
enum class StatusCode : int {
  kOk = 0,
  // The caller passed something unusable (empty passcode, a directory as database path, SQL
  // that does not parse). Do not retry unchanged.
  kInvalidArgument = 1,
  // The thing asked for does not exist (no database at that path). Do not retry unchanged.
  kNotFound = 2,
  // Creating something that already exists. Do not retry unchanged.
  kAlreadyExists = 3,
  // The passcode or raw key does not unlock this database. Nothing was read or changed; ask the
  // user again.
  kWrongKey = 4,
  // Stored bytes failed authentication or are malformed; the message names the file and, for
  // pages, the page number. Never retry: the data is damaged or was tampered with.
  kCorrupt = 5,
  // The operating system failed a read, write or sync (EIO, ENOSPC). The last successful commit
  // is intact; retry once the device has space / the fault is gone.
  kIo = 6,
  // Another connection holds a lock (SQLITE_BUSY). Retry the same call after a short wait.
  kLocked = 7,
  // The operation is refused in the current state (a journal mode that would leak plaintext,
  // a file kind the encrypting VFS never opens). Do not retry until the state changes.
  kFailedPrecondition = 8,
  // A constraint of the schema was violated (unique key, not null). Do not retry unchanged.
  kConstraint = 9,
  // Out of memory or another resource. Retry later.
  kResourceExhausted = 10,
  // The operation was interrupted or cancelled. Restart it if still wanted.
  kAborted = 11,
  // A broken invariant inside outreach-sync. Report it.
  kInternal = 12,
  // The server refused changes stamped too far ahead of its own clock; the message carries the
  // server's time ("server_time_ms=<n>"). Restart the sync round: adjust the clock from the
  // server time in the message and re-stamp unsent changes (core/model/hybrid_clock.h).
  kClockSkew = 13,
  // The server could not be reached or answered 5xx / 429 after every retry. Nothing is lost;
  // sync again later.
  kUnavailable = 14,
  // No valid credentials (missing, unknown or forged device token; enrolment code unknown or
  // used). Enrol again.
  kUnauthenticated = 15,
  // Authenticated but not allowed (another team's record, a revoked device). Do not retry.
  kPermissionDenied = 16,
};

// Short, stable lower_snake name of a code ("wrong_key", "corrupt"), as used in JSON errors.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "corrupt: page 3 of db file x.db failed authentication"
  std::string ToString() const;

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status NotFoundError(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status AlreadyExistsError(std::string message) {
  return Status(StatusCode::kAlreadyExists, std::move(message));
}
inline Status WrongKeyError(std::string message) {
  return Status(StatusCode::kWrongKey, std::move(message));
}
inline Status CorruptError(std::string message) {
  return Status(StatusCode::kCorrupt, std::move(message));
}
inline Status IoError(std::string message) { return Status(StatusCode::kIo, std::move(message)); }
inline Status FailedPreconditionError(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}
inline Status UnavailableError(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}
inline Status UnauthenticatedError(std::string message) {
  return Status(StatusCode::kUnauthenticated, std::move(message));
}
inline Status PermissionDeniedError(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message));
}
inline Status AbortedError(std::string message) {
  return Status(StatusCode::kAborted, std::move(message));
}
inline Status InternalError(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design, like absl::StatusOr
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result needs a value or an error");
    if (status_.ok()) status_ = InternalError("Result constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // `*std::move(result)` moves the value out; without this it bound to the const& overload
  // and copied (a decoded record state, map by map).
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace outreach

#define OUTREACH_STATUS_CONCAT_INNER(a, b) a##b
#define OUTREACH_STATUS_CONCAT(a, b) OUTREACH_STATUS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define OUTREACH_RETURN_IF_ERROR(expr)                          \
  do {                                                          \
    ::outreach::Status outreach_status_tmp_ = (expr);           \
    if (!outreach_status_tmp_.ok()) return outreach_status_tmp_; \
  } while (0)

// `OUTREACH_ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value or returns its error.
#define OUTREACH_ASSIGN_OR_RETURN(lhs, expr) \
  OUTREACH_ASSIGN_OR_RETURN_IMPL(OUTREACH_STATUS_CONCAT(outreach_result_, __LINE__), lhs, expr)
#define OUTREACH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
