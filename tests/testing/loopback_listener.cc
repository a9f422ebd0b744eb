#include "tests/testing/loopback_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>

namespace outreach::testing {

ConnectionSockets::ConnectionSockets(int id, ScopedFd accepted)
    : id_(id), accepted_fd_(accepted.get()) {
  sockets_.push_back(std::move(accepted));
}

int ConnectionSockets::Adopt(ScopedFd socket) {
  const int fd = socket.get();
  if (fd < 0) return -1;
  std::lock_guard lock(mutex_);
  if (shut_down_) ::shutdown(fd, SHUT_RDWR);  // adopted after Stop: end it at once
  sockets_.push_back(std::move(socket));
  return fd;
}

void ConnectionSockets::ShutdownAll() {
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  for (const ScopedFd& socket : sockets_) ::shutdown(socket.get(), SHUT_RDWR);
}

LoopbackListener::LoopbackListener(Serve serve) : serve_(std::move(serve)) {
  // A peer that closes while we write must be an error return, not a signal that ends the test
  // process (OpenSSL writes with plain write(), which has no MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  listen_fd_ = ListenOnLoopback(&port_);
  wake_fd_ = ScopedFd(::eventfd(0, EFD_CLOEXEC));
  if (!wake_fd_.valid()) throw std::runtime_error("eventfd() failed");
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

LoopbackListener::~LoopbackListener() { Stop(); }

void LoopbackListener::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (Connection& connection : connections_) connection.sockets->ShutdownAll();
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t written = ::write(wake_fd_.get(), &one, sizeof(one));
  accept_thread_.join();
  // No new connection can appear now; join without the lock so ending threads never wait on it.
  for (Connection& connection : connections_) connection.thread.join();
  connections_.clear();
}

void LoopbackListener::AcceptLoop() {
  while (true) {
    pollfd waits[2] = {{listen_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    if (::poll(waits, 2, -1) < 0) continue;  // EINTR
    if ((waits[1].revents & POLLIN) != 0) return;
    ScopedFd accepted(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!accepted.valid()) continue;
    JoinFinished();
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    Connection& connection = connections_.emplace_back();
    connection.sockets =
        std::make_unique<ConnectionSockets>(accepted_count_.fetch_add(1), std::move(accepted));
    connection.thread = std::thread([this, &connection] {
      serve_(*connection.sockets);
      connection.sockets->ShutdownAll();
      connection.finished.store(true);
    });
  }
}

void LoopbackListener::JoinFinished() {
  std::lock_guard lock(mutex_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (!it->finished.load()) {
      ++it;
      continue;
    }
    it->thread.join();
    it = connections_.erase(it);
  }
}

}  // namespace outreach::testing
