#include "sync-server/sync/push_checks.h"

#include <exception>
#include <system_error>

#include "core/model/hybrid_clock.h"
#include "sync-server/sync/change_checks.h"
#include "sync-server/sync/check_workers.h"

namespace outreach::server {
namespace {

// Below this many changes a push is checked whole before it is applied: handing it to a
// worker costs more than the overlap gains.
constexpr std::size_t kCheckedAhead = 64;
// Progress counts changes twice over in 32 bits.
constexpr std::size_t kMostCheckedAhead = std::size_t{1} << 30;

}  // namespace

PushChecks::PushChecks(const Device& device, const schema::SchemaRegistry& schemas,
                       std::int64_t now_ms, std::vector<model::Change>& changes)
    : device_(device), schemas_(schemas), now_ms_(now_ms), changes_(changes) {
  Start();
}

PushChecks::PushChecks(const Device& device, const schema::SchemaRegistry& schemas,
                       std::int64_t now_ms, std::vector<model::Change>& changes,
                       protocol::BinaryRequestReader& reader, std::string* schemas_hash)
    : device_(device),
      schemas_(schemas),
      now_ms_(now_ms),
      changes_(changes),
      reader_(&reader),
      to_fill_(&changes),
      schemas_hash_(schemas_hash) {
  Start();
}

void PushChecks::Start() {
  if (changes_.size() >= kCheckedAhead && changes_.size() < kMostCheckedAhead) {
    try {
      worker_job_ = RunOnCheckWorker([this] { CheckAll(); });
      return;
    } catch (const std::system_error&) {
      // No worker to be had: checked here, as a small push is.
    }
  }
  CheckAll();
}

PushChecks::~PushChecks() {
  stop_.store(true, std::memory_order_relaxed);
  if (worker_job_.valid()) worker_job_.wait();
}

void PushChecks::Publish(std::uint32_t clean, bool done) {
  progress_.store(clean * 2 + (done ? 1 : 0), std::memory_order_release);
  progress_.notify_all();
}

bool PushChecks::Read(std::size_t index) {
  if (Status read = reader_->Next((*to_fill_)[index]); !read.ok()) {
    verdict_.undecodable = std::move(read);
    return false;
  }
  return true;
}

void PushChecks::CheckAll() {
  std::uint32_t clean = 0;  // leading changes checked clean
  try {
    CheckEach(clean);
  } catch (...) {
    // Rethrown by Finish (the request fails as any handler's exception does: 500); done is
    // published all the same, or the applying thread, holding the store's writer, would wait
    // for good.
    failure_ = std::current_exception();
  }
  Publish(clean, true);
}

void PushChecks::CheckEach(std::uint32_t& clean) {
  bool answered = false;  // a change answers for the whole push: the rest is only read
  for (std::size_t i = 0; i < changes_.size(); ++i) {
    if (stop_.load(std::memory_order_relaxed)) break;
    if (reader_ != nullptr && !Read(i)) break;
    if (answered) continue;
    model::Change& change = changes_[i];
    if (auto violation = ScopeViolation(device_, change)) {
      verdict_.scope_violation = std::move(violation);
      answered = true;
    } else if (Status skew = model::HybridClock::CheckSkew(change.version.hlc, now_ms_);
               !skew.ok()) {
      verdict_.clock_skew = std::move(skew);
      answered = true;
    } else if (auto problem = ContentProblem(schemas_, change)) {
      verdict_.invalid.push_back(
          protocol::ChangeResult{change.change_id, protocol::Outcome::kRejected, *problem});
    } else if (verdict_.invalid.empty()) {
      Publish(++clean, false);
    }
    // Without a reader nothing is left to find once a change answers for the push.
    if (answered && reader_ == nullptr) break;
  }
  if (reader_ != nullptr && !verdict_.undecodable && !stop_.load(std::memory_order_relaxed)) {
    auto tail = reader_->Finish();
    if (tail.ok()) {
      *schemas_hash_ = *std::move(tail);
    } else {
      verdict_.undecodable = tail.status();
    }
  }
}

template <typename Enough>
std::uint32_t PushChecks::WaitUntil(Enough enough) {
  std::uint32_t progress = progress_.load(std::memory_order_acquire);
  while (!enough(progress) && (progress & 1) == 0) {
    progress_.wait(progress, std::memory_order_acquire);
    progress = progress_.load(std::memory_order_acquire);
  }
  return progress;
}

bool PushChecks::CleanUpTo(std::size_t index) {
  return WaitUntil([index](std::uint32_t progress) { return progress / 2 > index; }) / 2 > index;
}

const PushChecks::Verdict& PushChecks::Finish() {
  WaitUntil([](std::uint32_t) { return false; });  // until done
  if (failure_) std::rethrow_exception(failure_);
  return verdict_;
}

}  // namespace outreach::server
