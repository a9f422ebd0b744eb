// TcpProxy: a TCP relay on 127.0.0.1 in front of a test server that can cut connections after
// an exact number of bytes, to inject the broken connections of a bad mobile link on purpose.
// A cut forwards exactly the budgeted bytes, then shuts both sockets down: each peer reads
// what was forwarded (never more), then the end of the stream.
//
// Thread-safe: configure it from the test thread while connections run on the proxy's own.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

#include "tests/testing/loopback_listener.h"

namespace outreach::testing {

// Which bytes count towards a cut.
enum class CutDirection { kClientToServer, kServerToClient, kBoth };

// What happened to one connection through the proxy.
struct ProxiedConnection {
  std::uint64_t client_to_server = 0;  // bytes forwarded
  std::uint64_t server_to_client = 0;
  std::optional<std::uint64_t> cut_after;  // the planned cut, if any
  bool cut = false;                        // true once the proxy cut it
};

class TcpProxy {
 public:
  // Listens on 127.0.0.1 (port()) and relays each connection to 127.0.0.1:`target_port`.
  // Throws std::runtime_error if it cannot listen.
  explicit TcpProxy(std::uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return listener_->port(); }

  // The next connection that has no plan yet is cut after `bytes` in `direction`. Calls queue
  // up: one plan per connection, in the order the connections arrive.
  void CutNextConnectionAfter(std::uint64_t bytes, CutDirection direction = CutDirection::kBoth);
  // Every connection without a queued plan is cut after a random count in [0, max_bytes],
  // drawn from a generator seeded with `seed`, so a failing run can be replayed.
  void CutEveryConnectionAtRandom(std::uint64_t seed, std::uint64_t max_bytes,
                                  CutDirection direction = CutDirection::kBoth);
  // Drops queued plans and the random mode; connections already running keep theirs.
  void StopCutting();

  int connections() const { return listener_->connections(); }
  // One entry per accepted connection, in accept order.
  std::vector<ProxiedConnection> Connections() const;

 private:
  struct CutPlan {
    std::uint64_t after = 0;
    CutDirection direction = CutDirection::kBoth;
  };
  class Relay;

  void Serve(ConnectionSockets& connection);
  std::optional<CutPlan> TakePlan();

  const std::uint16_t target_port_;
  mutable std::mutex mutex_;
  std::deque<CutPlan> queued_plans_;               // guarded by mutex_
  std::optional<CutPlan> random_plan_;             // guarded by mutex_; `after` is the maximum
  std::mt19937_64 random_;                         // guarded by mutex_
  std::vector<ProxiedConnection> connection_log_;  // guarded by mutex_; index: connection id
  std::unique_ptr<LoopbackListener> listener_;     // last: its threads use the members above
};

}  // namespace outreach::testing
