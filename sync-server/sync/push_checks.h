// PushChecks: the checks of a push that need no stored state (its scope, the clock, each
// change's content: change_checks.h), run on a check worker (check_workers.h) ahead of the
// changes' application, and for a binary push its decoding too (protocol::BinaryRequestReader). A
// large push is then applied while the rest of it is still being read and checked, instead of
// after: decoding and checking a create (its values validated whole) cost about as much as
// applying it. The application waits for each change to be checked clean before it applies
// it, and stops at the first change that is not; the push is decided once every change is
// checked, as a push that checked everything first would be (Verdict).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/model/change.h"
#include "core/protocol/binary_codec.h"
#include "core/protocol/messages.h"
#include "sync-server/store/server_store.h"

namespace outreach::schema {
class SchemaRegistry;
}

namespace outreach::server {

class PushChecks {
 public:
  // What the checks found, in the changes' order.
  struct Verdict {
    // The body does not decode (400 malformed_body): before anything else. Or
    std::optional<Status> undecodable;
    // the first change outside the device's scope (403), or
    std::optional<std::string> scope_violation;
    // the first whose reading is too far ahead of `now_ms` (409 clock_skew): either answers
    // for the whole push, whatever the other changes hold.
    std::optional<Status> clock_skew;
    // Otherwise every change whose content is invalid (422).
    std::vector<protocol::ChangeResult> invalid;

  };

  // None owned; all must outlive the checks. Starts checking: on a check worker
  // (check_workers.h) when the push is large enough to gain from it (and a worker can be had),
  // otherwise here and now.
  PushChecks(const Device& device, const schema::SchemaRegistry& schemas, std::int64_t now_ms,
             std::vector<model::Change>& changes);
  // A push read as it is checked: `reader` fills `changes` (sized to its change_count) in
  // order, each before it is checked, and its tail goes to `*schemas_hash` after the last.
  // Once a change answers for the whole push, the rest is still read (a body that does not
  // decode answers before it), not checked.
  PushChecks(const Device& device, const schema::SchemaRegistry& schemas, std::int64_t now_ms,
             std::vector<model::Change>& changes, protocol::BinaryRequestReader& reader,
             std::string* schemas_hash);
  // Stops checking (as soon as the change under way is done) and waits for the worker to be
  // done with it.
  ~PushChecks();
  PushChecks(const PushChecks&) = delete;
  PushChecks& operator=(const PushChecks&) = delete;

  // True if the checks run on a worker (not here: a small push, or no worker to be had).
  bool on_worker() const { return worker_job_.valid(); }
  // Waits until change `index` is checked; true if it and every change before it are clean.
  bool CleanUpTo(std::size_t index);
  // Waits until every change is checked. Rethrows what checking threw (after which CleanUpTo
  // said false for every change not checked clean before it).
  const Verdict& Finish();

 private:
  void Start();
  void CheckAll();
  void CheckEach(std::uint32_t& clean);
  // The next change from the reader into changes_[index]; false (the verdict says why) if it
  // does not decode.
  bool Read(std::size_t index);
  // Published by the checking thread: twice the number of leading changes all checked clean,
  // plus one once it is done. One 32-bit word, so waiting on it is a futex.
  void Publish(std::uint32_t clean, bool done);
  // Waits until `enough(progress)` or done; returns the progress then.
  template <typename Enough>
  std::uint32_t WaitUntil(Enough enough);

  const Device& device_;
  const schema::SchemaRegistry& schemas_;
  std::int64_t now_ms_;
  // Each change's values are lent to its validation and are back once it is checked
  // (ContentProblem); the applying thread reads a change only after that.
  std::vector<model::Change>& changes_;
  // Reading: the reader, the changes it fills (changes_ itself) and where its tail goes.
  protocol::BinaryRequestReader* reader_ = nullptr;
  std::vector<model::Change>* to_fill_ = nullptr;
  std::string* schemas_hash_ = nullptr;
  Verdict verdict_;  // the checking thread's until `progress_` says it is done
  std::exception_ptr failure_;  // likewise
  std::atomic<std::uint32_t> progress_{0};
  std::atomic<bool> stop_{false};
  std::future<void> worker_job_;  // the checks on a worker; not valid when checked here
};

}  // namespace outreach::server
