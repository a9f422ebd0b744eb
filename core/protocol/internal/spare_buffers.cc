#include "core/protocol/internal/spare_buffers.h"

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace outreach::protocol::internal {
namespace {

// A push of 500 contacts decompresses to about 600 KiB. A fresh block that large is memory the
// kernel maps in page by page as it is first written: on this machine, the page faults of a
// push's buffer were about 3% of the server's applying thread (perf). A few are kept: about
// one per message being read at once. On a device they hold the last pages pulled, as freed
// memory would until reused.
constexpr std::size_t kMostKept = 4;
// Bodies are decompressed into at most this much room up front (zstd_frame.cc), so buffers of
// ordinary messages stay below it; a rare larger one is not held for good.
constexpr std::size_t kLargestKept = 8 * 1024 * 1024;
// Small bodies (a pull's request, an answer of a few records) are cheap to allocate afresh.
constexpr std::size_t kSmallestKept = 64 * 1024;

std::mutex kept_mutex;
std::vector<std::string>& Kept() {
  static auto* kept = [] {  // never destroyed: used until exit
    auto* buffers = new std::vector<std::string>();
    buffers->reserve(kMostKept);  // so keeping one never allocates (KeepSpareBuffer is noexcept)
    return buffers;
  }();
  return *kept;
}

}  // namespace

std::string TakeSpareBuffer() {
  std::lock_guard lock(kept_mutex);
  std::vector<std::string>& kept = Kept();
  if (kept.empty()) return {};
  std::string buffer = std::move(kept.back());
  kept.pop_back();
  return buffer;
}

// noexcept: Kept() was made by an earlier TakeSpareBuffer (a buffer is taken before one is
// kept), and locking a mutex that is not held fails only on a broken system.
void KeepSpareBuffer(std::string&& buffer) noexcept {
  buffer.clear();
  if (buffer.capacity() < kSmallestKept || buffer.capacity() > kLargestKept) {
    std::string().swap(buffer);
    return;
  }
  std::string kept_buffer = std::move(buffer);
  std::lock_guard lock(kept_mutex);
  std::vector<std::string>& kept = Kept();
  if (kept.size() < kMostKept) kept.push_back(std::move(kept_buffer));
}

}  // namespace outreach::protocol::internal
