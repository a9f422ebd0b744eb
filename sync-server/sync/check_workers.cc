#include "sync-server/sync/check_workers.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace outreach::server {
namespace {

// Workers wait for tasks on one queue. A worker is started when a task comes and none is idle;
// none ever stops before the process ends.
class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  // At the process's exit: the workers finish what they hold and are joined.
  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

  std::future<void> Run(std::function<void()> job) {
    std::packaged_task<void()> task(std::move(job));
    std::future<void> done = task.get_future();
    std::unique_lock lock(mutex_);
    if (idle_ <= queue_.size()) {
      // Every worker is busy: one more, started before the task is queued, so a failure to
      // start leaves nothing queued.
      workers_.emplace_back([this] { Work(); });
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
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stopping, nothing left
      std::packaged_task<void()> task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();  // its exception goes to its future
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<void()>> queue_;
  std::vector<std::thread> workers_;
  std::size_t idle_ = 0;  // workers waiting for a task
  bool stopping_ = false;
};

}  // namespace

std::future<void> RunOnCheckWorker(std::function<void()> job) {
  static Pool pool;
  return pool.Run(std::move(job));
}

}  // namespace outreach::server
