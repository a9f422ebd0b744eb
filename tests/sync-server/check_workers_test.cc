// The pool that runs pushes' checks and frees what they decoded (check_workers.h).
#include "sync-server/sync/check_workers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <utility>

namespace outreach::server {
namespace {

constexpr auto kPatience = std::chrono::seconds(20);

TEST(CheckWorkers, RunAJobOnAnotherThreadAndSayWhenItIsDone) {
  std::thread::id ran_on;
  std::future<void> done = RunOnCheckWorker([&ran_on] { ran_on = std::this_thread::get_id(); });
  ASSERT_EQ(done.wait_for(kPatience), std::future_status::ready);
  done.get();
  EXPECT_NE(ran_on, std::thread::id());
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

// Two pushes checked at once: the second must not wait for the first to finish (a check waits
// for nothing, but an application waits for its own checks).
TEST(CheckWorkers, StartAnotherWorkerWhileEveryOneIsBusy) {
  std::promise<void> second_ran;
  std::future<void> second_ran_seen = second_ran.get_future();
  std::future<void> first = RunOnCheckWorker([&second_ran_seen] {
    if (second_ran_seen.wait_for(kPatience) != std::future_status::ready) {
      throw std::runtime_error("the second job never ran while the first was busy");
    }
  });
  std::future<void> second = RunOnCheckWorker([&second_ran] { second_ran.set_value(); });
  ASSERT_EQ(second.wait_for(kPatience), std::future_status::ready);
  ASSERT_EQ(first.wait_for(kPatience), std::future_status::ready);
  EXPECT_NO_THROW(first.get());
}

TEST(CheckWorkers, PutAJobsExceptionInItsFuture) {
  std::future<void> done = RunOnCheckWorker([] { throw std::runtime_error("job failed"); });
  ASSERT_EQ(done.wait_for(kPatience), std::future_status::ready);
  EXPECT_THROW(done.get(), std::runtime_error);
  // The worker that ran it serves the next job.
  std::future<void> next = RunOnCheckWorker([] {});
  ASSERT_EQ(next.wait_for(kPatience), std::future_status::ready);
  EXPECT_NO_THROW(next.get());
}

// Says on which thread it was destroyed; a moved-from one says nothing.
class Witness {
 public:
  explicit Witness(std::promise<std::thread::id>* destroyed_on) : destroyed_on_(destroyed_on) {}
  Witness(Witness&& other) noexcept : destroyed_on_(std::exchange(other.destroyed_on_, nullptr)) {}
  Witness& operator=(Witness&&) = delete;
  ~Witness() {
    if (destroyed_on_ != nullptr) destroyed_on_->set_value(std::this_thread::get_id());
  }

 private:
  std::promise<std::thread::id>* destroyed_on_;
};

TEST(CheckWorkers, DestroyAValueOnAWorkerNotHere) {
  std::promise<std::thread::id> destroyed_on;
  std::future<std::thread::id> seen = destroyed_on.get_future();
  DestroyOnCheckWorker(Witness(&destroyed_on));
  ASSERT_EQ(seen.wait_for(kPatience), std::future_status::ready);
  EXPECT_NE(seen.get(), std::this_thread::get_id());
}

}  // namespace
}  // namespace outreach::server
