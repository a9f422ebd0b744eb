// LoopbackListener: accepts TCP connections on 127.0.0.1 on its own thread and serves each on a
// thread of its own, the skeleton under the test servers and proxies. Stop() shuts every
// connection's sockets down, which wakes any thread blocked reading them, then joins them all.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/testing/loopback_socket.h"

namespace outreach::testing {

// The sockets of one connection. They stay open until its thread has been joined, so Stop can
// shut them down without racing a close (and a reuse of the descriptor number).
class ConnectionSockets {
 public:
  ConnectionSockets(int id, ScopedFd accepted);

  int id() const { return id_; }  // 0, 1, 2 ... in accept order
  int accepted() const { return accepted_fd_; }
  // Keeps `socket` open until the connection is done and shuts it down with the others;
  // returns its descriptor (-1 if empty).
  int Adopt(ScopedFd socket);
  // shutdown(SHUT_RDWR) on every socket: peers see the end, blocked reads return 0.
  void ShutdownAll();

 private:
  const int id_;
  const int accepted_fd_;
  std::mutex mutex_;
  std::vector<ScopedFd> sockets_;  // guarded by mutex_
  bool shut_down_ = false;         // guarded by mutex_
};

class LoopbackListener {
 public:
  // Runs on the connection's own thread; its sockets are shut down when it returns.
  using Serve = std::function<void(ConnectionSockets& connection)>;

  // Starts listening and accepting. Throws std::runtime_error if it cannot listen.
  explicit LoopbackListener(Serve serve);
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  std::uint16_t port() const { return port_; }
  int connections() const { return accepted_count_.load(); }
  // Stops accepting, ends every connection and joins all threads. Idempotent; the owner calls
  // it before destroying anything `serve` uses.
  void Stop();

 private:
  struct Connection {
    std::unique_ptr<ConnectionSockets> sockets;
    std::thread thread;
    std::atomic<bool> finished{false};
  };
  void AcceptLoop();
  void JoinFinished();  // frees the descriptors and threads of connections that ended

  Serve serve_;
  std::uint16_t port_ = 0;
  ScopedFd listen_fd_;
  ScopedFd wake_fd_;  // eventfd: readable once Stop is called
  std::atomic<int> accepted_count_{0};
  std::mutex mutex_;
  std::list<Connection> connections_;  // guarded by mutex_
  bool stopped_ = false;               // guarded by mutex_
  std::thread accept_thread_;
};

}  // namespace outreach::testing
