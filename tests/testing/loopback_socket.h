// Small POSIX socket helpers for test servers and proxies on 127.0.0.1.
#pragma once

#include <cstdint>
#include <string_view>

namespace outreach::testing {

// An owned file descriptor, closed on destruction; -1 when empty.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { Reset(); }
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

// A listening socket on 127.0.0.1 with a port the system chose. Throws std::runtime_error.
ScopedFd ListenOnLoopback(std::uint16_t* port);

// A connected socket to 127.0.0.1:`port`; empty when nothing accepts there.
ScopedFd ConnectToLoopback(std::uint16_t port);

// A port on 127.0.0.1 where nothing listens (bound, then released): connecting is refused.
std::uint16_t UnusedLoopbackPort();

// Sends all of `bytes` (no SIGPIPE); false when the peer is gone.
bool SendAll(int fd, std::string_view bytes);

}  // namespace outreach::testing
