#include "sync-server/sync/check_workers.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace outreach::server {
namespace {

// Workers wait for tasks on one queue. A worker is started when a task comes and none is idle;
// none ever stops, and none is joined: the pool is never destroyed (RunOnCheckWorker), since
// joining at exit would race with a job queued late, or with a worker that called exit itself.
class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  std::future<void> Run(std::function<void()> job) {
    std::packaged_task<void()> task(std::move(job));
    std::future<void> done = task.get_future();
    std::unique_lock lock(mutex_);
    if (idle_ <= queue_.size()) {
      // Every worker is busy: one more, started before the task is queued, so a failure to
      // start leaves nothing queued.
      std::thread([this] { Work(); }).detach();
    }
    queue_.push_back(std::move(task));
    lock.unlock();
    wake_.notify_one();
    return done;
  }

 private:
  void Work() {
    std::unique_lock lock(mutex_);
    while (true) {
      ++idle_;
      wake_.wait(lock, [this] { return !queue_.empty(); });
      --idle_;
      {
        std::packaged_task<void()> task = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        task();  // its exception goes to its future
      }  // the task, and what its job holds, go before the lock is taken again
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<void()>> queue_;
  std::size_t idle_ = 0;  // workers waiting for a task
};

}  // namespace

std::future<void> RunOnCheckWorker(std::function<void()> job) {
  static Pool& pool = *new Pool;  // never destroyed (Pool)
  return pool.Run(std::move(job));
}

}  // namespace outreach::server
