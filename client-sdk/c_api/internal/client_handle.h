// What an outreach_client* points to: one outreach::Client plus what the C ABI adds around it —
// the mutex that serialises calls (Client is not thread-safe) and the cancel flag that
// outreach_cancel_sync sets without waiting for that mutex.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client-sdk/c_api/internal/c_boundary.h"
#include "client-sdk/client.h"

struct outreach_client {
  std::mutex mutex;                          // held for the whole of each call on this handle
  std::unique_ptr<outreach::Client> client;  // guarded by mutex
  std::string store_key;                     // set once at open; released at close
  // The thread inside a call, so a progress callback calling back into its own handle gets an
  // error instead of deadlocking on `mutex`.
  std::atomic<std::thread::id> caller;
  std::atomic<bool> syncing{false};  // a sync is running: a cancel applies to it
  std::atomic<bool> cancel{false};   // read by the running sync (HttpClient checks it too)
};

namespace outreach::c_api::detail {

// Guard for calls on a handle: checks it, refuses re-entry from the same thread, then runs
// `body(handle)` holding the handle's mutex.
template <typename Body>
int WithClient(outreach_client* handle, Body&& body) noexcept {
  return Guard([&]() -> Status {
    if (handle == nullptr) return InvalidArgumentError("client is NULL");
    if (handle->caller.load() == std::this_thread::get_id()) {
      return FailedPreconditionError("a progress callback may not call into its own client");
    }
    std::lock_guard lock(handle->mutex);
    handle->caller.store(std::this_thread::get_id());
    struct ClearCaller {
      outreach_client* handle;
      ~ClearCaller() { handle->caller.store(std::thread::id()); }
    } clear_caller{handle};
    return body(*handle);
  });
}

}  // namespace outreach::c_api::detail
