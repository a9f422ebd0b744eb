// CheckWorkers: long-lived threads that run pushes' checks (push_checks.h) and free what a
// push decoded once it is answered. The checks decode a push's changes, so the values they
// hold were allocated on a worker; freeing them on the thread that answers the device put that
// work (each free of memory another thread allocated is the allocator's slow path) between the
// push's commit and its answer, and with it the device's next push.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <system_error>
#include <utility>

namespace outreach::server {

// Runs `job` on a worker of the process's pool: an idle one, or one started for it (as many as
// jobs run at once; workers are kept for the process's life, so a worker's allocator heap stays
// warm from one push to the next). The future is ready once the job has returned (its exception,
// if any, is in it). Throws std::system_error if no worker is idle and none can be started.
std::future<void> RunOnCheckWorker(std::function<void()> job);

// Destroys `value` on a worker, not waiting for it; here and now if no worker can be had.
template <typename T>
void DestroyOnCheckWorker(T value) {
  // A job must be copyable (std::function): the value goes in a shared owner, moved into the
  // job so the job holds the only reference and the value dies where the job runs.
  auto owner = std::make_shared<T>(std::move(value));
  try {
    (void)RunOnCheckWorker([owner = std::move(owner)]() mutable { owner.reset(); });
  } catch (const std::system_error&) {
    // The job, and the value with it, were destroyed here.
  }
}

}  // namespace outreach::server
