// WalFrameBuffer: the WAL frames a connection has written (each a 24-byte header and its sealed
// page) that are not on disk yet, so that consecutive frames leave in one write call instead of
// one per page (FORMAT.md, "WAL"), and the header of the frame whose page comes next (SQLite
// writes a frame's header and its page in two calls). A commit's frames never stay here past
// the commit, and what a transaction leaves here when it ends without committing is thrown
// away, never written: by then another connection may be writing its own frames there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/storage/internal/page_cipher.h"

namespace outreach::storage::detail {

inline constexpr int kWalFrameHeaderSize = 24;
inline constexpr int kWalFrameSize = kWalFrameHeaderSize + kPageSize;
// The most frames one write carries. SQLite's unix VFS writes at most 128 KiB - 1 per call (it
// masks the length: a longer write comes back short, as SQLITE_FULL), so 31 frames of 4,120
// bytes. A commit of 2,000 contacts on the server is some 1,150 frames: 38 calls.
inline constexpr int kWalFramesPerWrite = 31;

class WalFrameBuffer {
 public:
  // Writes `size` bytes at `offset` of the WAL; an SQLite result code.
  using Write = std::function<int(const std::uint8_t* bytes, int size, std::int64_t offset)>;

  bool empty() const { return used_ == 0; }
  // The frame header held until its page comes; kNoHeader if none.
  static constexpr std::int64_t kNoHeader = -1;
  std::int64_t held_header_offset() const { return header_offset_; }
  const std::uint8_t* held_header() const { return header_; }
  void HoldHeader(const std::uint8_t* header, std::int64_t frame_start);
  // Forgets the held header: its page came, or was refused (then nothing of the frame is
  // written). Its bytes stay readable at held_header() until the next HoldHeader: the page's
  // write copies them after this (nothing here ever clears them).
  void ReleaseHeader() { header_offset_ = kNoHeader; }
  // Writes the held header alone, if there is one, and forgets it; a failure is kept as
  // Flush's is. After a failure nothing is written (SQLITE_IOERR_WRITE).
  int FlushHeader(const Write& write);
  bool full() const { return used_ + kWalFrameSize > kCapacity; }
  // Whether a frame starting at `frame_start` would follow the buffered ones (any frame
  // would, when there are none).
  bool Follows(std::int64_t frame_start) const {
    return used_ == 0 || offset_ + used_ == frame_start;
  }
  // Room for the frame at `frame_start`, which Follows and is not full; null if no memory
  // could be had (the caller writes the frame itself).
  std::uint8_t* Append(std::int64_t frame_start);
  // Writes the buffered frames in one call and empties the buffer. A failure is kept
  // (failed()) until the transaction ends: the frames are lost, so nothing the transaction
  // writes after them may be committed, and nothing more is written (SQLITE_IOERR_WRITE).
  int Flush(const Write& write);
  // Throws the buffered frames and the held header away as if their write had failed: the
  // connection may write nothing more (a page failed authentication).
  void Discard();
  // Whether frames were lost (a failed flush, Discard) in the current write transaction.
  bool failed() const { return failed_; }
  // The connection's write transaction ended: a commit flushed its frames, so any left here
  // were rolled back. Forgets them, the held header, and any failure.
  void EndTransaction();

 private:
  static constexpr std::int64_t kCapacity = std::int64_t{kWalFramesPerWrite} * kWalFrameSize;
  std::unique_ptr<std::uint8_t[]> bytes_;  // made on first use
  std::int64_t offset_ = 0;                // where the first buffered frame goes in the WAL
  std::int64_t used_ = 0;
  bool failed_ = false;
  std::int64_t header_offset_ = kNoHeader;
  std::uint8_t header_[kWalFrameHeaderSize] = {};
};

}  // namespace outreach::storage::detail
