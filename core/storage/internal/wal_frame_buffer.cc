#include "core/storage/internal/wal_frame_buffer.h"

#include <sqlite3.h>

#include <new>
#include <utility>

namespace outreach::storage::detail {

std::uint8_t* WalFrameBuffer::Append(std::int64_t frame_start) {
  if (!bytes_) {
    bytes_.reset(new (std::nothrow) std::uint8_t[kCapacity]);
    if (!bytes_) return nullptr;
  }
  if (used_ == 0) offset_ = frame_start;
  std::uint8_t* frame = bytes_.get() + used_;
  used_ += kWalFrameSize;
  return frame;
}

int WalFrameBuffer::Flush(const Write& write) {
  if (used_ == 0) return SQLITE_OK;
  const auto size = static_cast<int>(std::exchange(used_, 0));
  const int rc = write(bytes_.get(), size, offset_);
  if (rc != SQLITE_OK) failed_ = true;
  return rc;
}

void WalFrameBuffer::Discard() {
  if (used_ != 0) failed_ = true;
  used_ = 0;
}

void WalFrameBuffer::EndTransaction() {
  used_ = 0;
  failed_ = false;
}

}  // namespace outreach::storage::detail
