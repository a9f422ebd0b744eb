#include "tests/testing/tcp_proxy.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace outreach::testing {

// Forwards one connection both ways on two threads (one per direction, so neither side's
// writes can block the other's) and enforces the connection's cut plan.
class TcpProxy::Relay {
 public:
  Relay(TcpProxy& proxy, int id, int client_fd, int server_fd, std::optional<CutPlan> plan)
      : proxy_(proxy), id_(id), client_fd_(client_fd), server_fd_(server_fd), plan_(plan),
        budget_left_(plan ? plan->after : 0) {}

  void Run() {
    if (plan_ && plan_->after == 0) return Cut();
    std::thread upstream([this] { Pump(client_fd_, server_fd_, /*client_to_server=*/true); });
    Pump(server_fd_, client_fd_, /*client_to_server=*/false);
    upstream.join();
  }

 private:
  void Pump(int from, int to, bool client_to_server) {
    char buffer[16 * 1024];
    while (true) {
      const ssize_t received = ::recv(from, buffer, sizeof(buffer), 0);
      if (received < 0 && errno == EINTR) continue;
      if (received <= 0) {
        ::shutdown(to, SHUT_WR);  // pass the half-close on; the other direction may go on
        return;
      }
      bool cut_now = false;
      const std::size_t allowed = Reserve(client_to_server, received, &cut_now);
      if (!SendAll(to, std::string_view(buffer, allowed))) return EndBoth();
      Count(client_to_server, allowed);
      if (cut_now) return Cut();
    }
  }

  // How many of `wanted` bytes may pass before the cut; sets `cut_now` when the budget is spent.
  std::size_t Reserve(bool client_to_server, std::size_t wanted, bool* cut_now) {
    if (!plan_) return wanted;
    const bool counted = plan_->direction == CutDirection::kBoth ||
                         (plan_->direction == CutDirection::kClientToServer) == client_to_server;
    if (!counted) return wanted;
    std::lock_guard lock(budget_mutex_);  // kBoth: both directions draw on one budget
    const std::size_t allowed =
        static_cast<std::size_t>(std::min<std::uint64_t>(wanted, budget_left_));
    budget_left_ -= allowed;
    *cut_now = budget_left_ == 0;
    return allowed;
  }

  void Count(bool client_to_server, std::size_t bytes) {
    std::lock_guard lock(proxy_.mutex_);
    ProxiedConnection& entry = proxy_.connection_log_[id_];
    (client_to_server ? entry.client_to_server : entry.server_to_client) += bytes;
  }

  void Cut() {
    {
      std::lock_guard lock(proxy_.mutex_);
      proxy_.connection_log_[id_].cut = true;
    }
    EndBoth();
  }

  // Shutdown, not close: the sockets belong to the listener until this connection is joined.
  void EndBoth() {
    ::shutdown(client_fd_, SHUT_RDWR);
    ::shutdown(server_fd_, SHUT_RDWR);
  }

  TcpProxy& proxy_;
  const int id_;
  const int client_fd_;
  const int server_fd_;
  const std::optional<CutPlan> plan_;
  std::mutex budget_mutex_;
  std::uint64_t budget_left_;  // guarded by budget_mutex_
};

TcpProxy::TcpProxy(std::uint16_t target_port)
    : target_port_(target_port),
      listener_(std::make_unique<LoopbackListener>(
          [this](ConnectionSockets& connection) { Serve(connection); })) {}

TcpProxy::~TcpProxy() { listener_->Stop(); }

void TcpProxy::CutNextConnectionAfter(std::uint64_t bytes, CutDirection direction) {
  std::lock_guard lock(mutex_);
  queued_plans_.push_back({bytes, direction});
}

void TcpProxy::CutEveryConnectionAtRandom(std::uint64_t seed, std::uint64_t max_bytes,
                                          CutDirection direction) {
  std::lock_guard lock(mutex_);
  random_.seed(seed);
  random_plan_ = CutPlan{max_bytes, direction};
}

void TcpProxy::StopCutting() {
  std::lock_guard lock(mutex_);
  queued_plans_.clear();
  random_plan_.reset();
}

std::vector<ProxiedConnection> TcpProxy::Connections() const {
  std::lock_guard lock(mutex_);
  return connection_log_;
}

std::optional<TcpProxy::CutPlan> TcpProxy::TakePlan() {
  // Called with mutex_ held.
  if (!queued_plans_.empty()) {
    const CutPlan plan = queued_plans_.front();
    queued_plans_.pop_front();
    return plan;
  }
  if (!random_plan_) return std::nullopt;
  std::uniform_int_distribution<std::uint64_t> offset(0, random_plan_->after);
  return CutPlan{offset(random_), random_plan_->direction};
}

void TcpProxy::Serve(ConnectionSockets& connection) {
  const int server_fd = connection.Adopt(ConnectToLoopback(target_port_));
  std::optional<CutPlan> plan;
  {
    std::lock_guard lock(mutex_);
    plan = TakePlan();
    const auto id = static_cast<std::size_t>(connection.id());
    if (connection_log_.size() <= id) connection_log_.resize(id + 1);
    if (plan) connection_log_[id].cut_after = plan->after;
  }
  if (server_fd < 0) return;  // nothing listens at the target: the client sees the close
  Relay(*this, connection.id(), connection.accepted(), server_fd, plan).Run();
}

}  // namespace outreach::testing
