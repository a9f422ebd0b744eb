// CheckWorkers: long-lived threads that run pushes' checks (push_checks.h), which decode a
// binary push, and that free its decoded changes once it is committed. Freeing them on the
// thread that decoded them is the allocator's fast path; an I/O thread freed them before, after
// the answer, each free of another thread's memory taking mimalloc's slower path (server
// instructions over a push of 10,000: 3,014 M -> 2,943 M).
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <utility>

namespace outreach::server {

// Runs `job` on a worker of the process's pool: an idle one, or one started for it (as many as
// jobs run at once; workers are kept for the process's life, so a worker's allocator heap stays
// warm from one push to the next). The future is ready once the job has returned (its exception,
// if any, is in it). Throws std::system_error if no worker is idle and none can be started (or
// std::bad_alloc). Jobs must not be run once `main` has returned; the pool is not fork-safe.
std::future<void> RunOnCheckWorker(std::function<void()> job);

// Destroys `value` on a worker (any idle one: as a rule the one that checked the push, since
// one device pushes one batch at a time), not waiting for it; here and now if that cannot be
// arranged. Never throws.
template <typename T>
void DestroyOnCheckWorker(T value) noexcept {
  try {
    // A job must be copyable (std::function): the value goes in a shared owner, moved into the
    // job so the job holds the only reference and the value dies where the job runs.
    auto owner = std::make_shared<T>(std::move(value));
    (void)RunOnCheckWorker([owner = std::move(owner)]() mutable { owner.reset(); });
  } catch (...) {
    // No worker, or no memory to hand it over: the job and the value die here.
  }
}

}  // namespace outreach::server
