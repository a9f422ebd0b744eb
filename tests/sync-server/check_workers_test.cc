// The pool that runs pushes' checks and frees what they decoded (check_workers.h). Jobs hold
// what they touch by shared_ptr: a test that fails and returns early leaves nothing dangling.
#include "sync-server/sync/check_workers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>

namespace outreach::server {
namespace {

constexpr auto kPatience = std::chrono::seconds(20);

TEST(CheckWorkers, RunAJobOnAnotherThreadAndSayWhenItIsDone) {
  auto ran_on = std::make_shared<std::thread::id>();
  std::future<void> done = RunOnCheckWorker([ran_on] { *ran_on = std::this_thread::get_id(); });
  ASSERT_EQ(done.wait_for(kPatience), std::future_status::ready);
  done.get();
  EXPECT_NE(*ran_on, std::thread::id());
  EXPECT_NE(*ran_on, std::this_thread::get_id());
}

// Two pushes checked at once: the second must not wait for the first to finish (a check waits
// for nothing, but an application waits for its own checks). With no other job running, at
// most one worker is idle here, so the second job needs a worker started for it or left idle
// by an earlier test; either way it must run while the first is busy.
TEST(CheckWorkers, RunASecondJobWhileTheFirstIsBusy) {
  auto second_ran = std::make_shared<std::promise<void>>();
  std::shared_future<void> second_ran_seen = second_ran->get_future().share();
  std::future<void> first = RunOnCheckWorker([second_ran_seen] {
    if (second_ran_seen.wait_for(kPatience) != std::future_status::ready) {
      throw std::runtime_error("the second job never ran while the first was busy");
    }
  });
  std::future<void> second = RunOnCheckWorker([second_ran] { second_ran->set_value(); });
  ASSERT_EQ(second.wait_for(kPatience), std::future_status::ready);
  ASSERT_EQ(first.wait_for(kPatience), std::future_status::ready);
  EXPECT_NO_THROW(first.get());
}

TEST(CheckWorkers, PutAJobsExceptionInItsFuture) {
  std::future<void> done = RunOnCheckWorker([] { throw std::runtime_error("job failed"); });
  ASSERT_EQ(done.wait_for(kPatience), std::future_status::ready);
  EXPECT_THROW(done.get(), std::runtime_error);
  // A worker still serves the next job.
  std::future<void> next = RunOnCheckWorker([] {});
  ASSERT_EQ(next.wait_for(kPatience), std::future_status::ready);
  EXPECT_NO_THROW(next.get());
}

// Says on which thread it was destroyed; a moved-from one says nothing.
class Witness {
 public:
  explicit Witness(std::shared_ptr<std::promise<std::thread::id>> destroyed_on)
      : destroyed_on_(std::move(destroyed_on)) {}
  Witness(Witness&& other) noexcept = default;
  Witness& operator=(Witness&&) = delete;
  ~Witness() {
    if (destroyed_on_) destroyed_on_->set_value(std::this_thread::get_id());
  }

 private:
  std::shared_ptr<std::promise<std::thread::id>> destroyed_on_;
};

TEST(CheckWorkers, DestroyAValueOnAWorkerNotHere) {
  auto destroyed_on = std::make_shared<std::promise<std::thread::id>>();
  std::future<std::thread::id> seen = destroyed_on->get_future();
  DestroyOnCheckWorker(Witness(destroyed_on));
  ASSERT_EQ(seen.wait_for(kPatience), std::future_status::ready);
  EXPECT_NE(seen.get(), std::this_thread::get_id());
}

}  // namespace
}  // namespace outreach::server
