#include "core/storage/internal/wal_frame_buffer.h"

#include <sqlite3.h>

#include <cstring>
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

void WalFrameBuffer::HoldHeader(const std::uint8_t* header, std::int64_t frame_start) {
  std::memcpy(header_, header, kWalFrameHeaderSize);
  header_offset_ = frame_start;
}

int WalFrameBuffer::FlushHeader(const Write& write) {
  if (header_offset_ == kNoHeader) return SQLITE_OK;
  const std::int64_t offset = std::exchange(header_offset_, kNoHeader);
  if (failed_) return SQLITE_IOERR_WRITE;  // frames before it were lost: it goes with them
  const int rc = write(header_, kWalFrameHeaderSize, offset);
  if (rc != SQLITE_OK) failed_ = true;
  return rc;
}

int WalFrameBuffer::Flush(const Write& write) {
  if (used_ == 0) return SQLITE_OK;
  const auto size = static_cast<int>(std::exchange(used_, 0));
  if (failed_) return SQLITE_IOERR_WRITE;  // frames before these were lost
  const int rc = write(bytes_.get(), size, offset_);
  if (rc != SQLITE_OK) failed_ = true;
  return rc;
}

void WalFrameBuffer::Discard() {
  if (used_ != 0 || header_offset_ != kNoHeader) failed_ = true;
  used_ = 0;
  header_offset_ = kNoHeader;
}

void WalFrameBuffer::EndTransaction() {
  used_ = 0;
  header_offset_ = kNoHeader;
  failed_ = false;
}

}  // namespace outreach::storage::detail
