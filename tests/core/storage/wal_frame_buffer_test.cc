// WalFrameBuffer on its own: what leaves in one write, and how a lost write keeps everything
// after it from being written until the transaction ends (wal_writes_test.cc drives it
// through SQLite).
#include "core/storage/internal/wal_frame_buffer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace outreach::storage::detail {
namespace {

constexpr std::int64_t kFirstFrame = 32;  // after the WAL header

// A stand-in for the WAL file: records each write call, and fails them while `fail` is set.
struct RecordedWrites {
  struct Call {
    std::int64_t offset;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Call> calls;
  bool fail = false;

  WalFrameBuffer::Write Writer() {
    return [this](const std::uint8_t* bytes, int size, std::int64_t offset) {
      calls.push_back({offset, std::vector<std::uint8_t>(bytes, bytes + size)});
      return fail ? SQLITE_FULL : SQLITE_OK;
    };
  }
};

// Appends the frame at `frame_start` filled with `fill`; false if there was no room.
bool AppendFrame(WalFrameBuffer& buffer, std::int64_t frame_start, std::uint8_t fill) {
  std::uint8_t* frame = buffer.Append(frame_start);
  if (frame == nullptr) return false;
  std::memset(frame, fill, kWalFrameSize);
  return true;
}

TEST(WalFrameBufferTest, ConsecutiveFramesLeaveInOneWriteAtTheFirstOnesOffset) {
  WalFrameBuffer buffer;
  RecordedWrites wal;
  ASSERT_TRUE(AppendFrame(buffer, kFirstFrame, 1));
  EXPECT_TRUE(buffer.Follows(kFirstFrame + kWalFrameSize));
  EXPECT_FALSE(buffer.Follows(kFirstFrame + 2 * kWalFrameSize)) << "a gap is not following";
  ASSERT_TRUE(AppendFrame(buffer, kFirstFrame + kWalFrameSize, 2));
  EXPECT_EQ(buffer.Flush(wal.Writer()), SQLITE_OK);
  ASSERT_EQ(wal.calls.size(), 1u);
  EXPECT_EQ(wal.calls[0].offset, kFirstFrame);
  ASSERT_EQ(wal.calls[0].bytes.size(), 2u * kWalFrameSize);
  EXPECT_EQ(wal.calls[0].bytes.front(), 1);
  EXPECT_EQ(wal.calls[0].bytes.back(), 2);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.Flush(wal.Writer()), SQLITE_OK);
  EXPECT_EQ(wal.calls.size(), 1u) << "an empty buffer writes nothing";
}

TEST(WalFrameBufferTest, IsFullAtTheMostOneWriteCarries) {
  WalFrameBuffer buffer;
  for (int i = 0; i < kWalFramesPerWrite; ++i) {
    EXPECT_FALSE(buffer.full()) << i;
    ASSERT_TRUE(AppendFrame(buffer, kFirstFrame + std::int64_t{i} * kWalFrameSize, 7));
  }
  EXPECT_TRUE(buffer.full());
}

TEST(WalFrameBufferTest, AFailedFlushRefusesEverythingUntilTheTransactionEnds) {
  WalFrameBuffer buffer;
  RecordedWrites wal;
  ASSERT_TRUE(AppendFrame(buffer, kFirstFrame, 1));
  wal.fail = true;
  EXPECT_EQ(buffer.Flush(wal.Writer()), SQLITE_FULL);
  EXPECT_TRUE(buffer.failed());
  EXPECT_TRUE(buffer.empty());
  wal.fail = false;
  // Whatever the transaction holds after the lost frames is not written.
  ASSERT_TRUE(AppendFrame(buffer, kFirstFrame + kWalFrameSize, 2));
  EXPECT_EQ(buffer.Flush(wal.Writer()), SQLITE_IOERR_WRITE);
  const std::uint8_t header[kWalFrameHeaderSize] = {9};
  buffer.HoldHeader(header, kFirstFrame + 2 * kWalFrameSize);
  EXPECT_EQ(buffer.FlushHeader(wal.Writer()), SQLITE_IOERR_WRITE);
  EXPECT_EQ(wal.calls.size(), 1u) << "only the failed write was made";
  EXPECT_TRUE(buffer.failed());

  buffer.EndTransaction();
  EXPECT_FALSE(buffer.failed());
  ASSERT_TRUE(AppendFrame(buffer, kFirstFrame, 3));
  EXPECT_EQ(buffer.Flush(wal.Writer()), SQLITE_OK) << "the next transaction writes again";
  EXPECT_EQ(wal.calls.size(), 2u);
}

TEST(WalFrameBufferTest, AFailedHeaderWriteIsKeptAsAFailedFlushIs) {
  WalFrameBuffer buffer;
  RecordedWrites wal;
  const std::uint8_t header[kWalFrameHeaderSize] = {4};
  buffer.HoldHeader(header, kFirstFrame);
  EXPECT_EQ(buffer.held_header_offset(), kFirstFrame);
  wal.fail = true;
  EXPECT_EQ(buffer.FlushHeader(wal.Writer()), SQLITE_FULL);
  EXPECT_EQ(buffer.held_header_offset(), WalFrameBuffer::kNoHeader);
  EXPECT_TRUE(buffer.failed());
  ASSERT_EQ(wal.calls.size(), 1u);
  EXPECT_EQ(wal.calls[0].bytes.size(), static_cast<std::size_t>(kWalFrameHeaderSize));
  wal.fail = false;
  ASSERT_TRUE(AppendFrame(buffer, kFirstFrame + kWalFrameSize, 2));
  EXPECT_EQ(buffer.Flush(wal.Writer()), SQLITE_IOERR_WRITE);
  buffer.HoldHeader(header, kFirstFrame + 2 * kWalFrameSize);
  EXPECT_EQ(buffer.FlushHeader(wal.Writer()), SQLITE_IOERR_WRITE);
  EXPECT_EQ(wal.calls.size(), 1u) << "nothing more was written";
}

TEST(WalFrameBufferTest, AReleasedHeaderStaysReadableUntilTheNextIsHeld) {
  WalFrameBuffer buffer;
  const std::uint8_t first[kWalFrameHeaderSize] = {1, 2, 3};
  buffer.HoldHeader(first, kFirstFrame);
  buffer.ReleaseHeader();
  EXPECT_EQ(buffer.held_header_offset(), WalFrameBuffer::kNoHeader);
  EXPECT_EQ(std::memcmp(buffer.held_header(), first, kWalFrameHeaderSize), 0);
  buffer.EndTransaction();
  EXPECT_EQ(std::memcmp(buffer.held_header(), first, kWalFrameHeaderSize), 0);
  const std::uint8_t second[kWalFrameHeaderSize] = {4, 5, 6};
  buffer.HoldHeader(second, kFirstFrame + kWalFrameSize);
  EXPECT_EQ(std::memcmp(buffer.held_header(), second, kWalFrameHeaderSize), 0);
}

TEST(WalFrameBufferTest, EndingTheTransactionDropsFramesAndHeaderUnwritten) {
  WalFrameBuffer buffer;
  RecordedWrites wal;
  ASSERT_TRUE(AppendFrame(buffer, kFirstFrame, 1));
  const std::uint8_t header[kWalFrameHeaderSize] = {5};
  buffer.HoldHeader(header, kFirstFrame + kWalFrameSize);
  buffer.EndTransaction();
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.held_header_offset(), WalFrameBuffer::kNoHeader);
  EXPECT_FALSE(buffer.failed()) << "a rollback lost nothing";
  EXPECT_EQ(buffer.Flush(wal.Writer()), SQLITE_OK);
  EXPECT_EQ(buffer.FlushHeader(wal.Writer()), SQLITE_OK);
  EXPECT_TRUE(wal.calls.empty());
}

TEST(WalFrameBufferTest, DiscardingHeldFramesOrHeaderCountsAsALoss) {
  WalFrameBuffer empty;
  empty.Discard();
  EXPECT_FALSE(empty.failed()) << "nothing was held, nothing was lost";

  WalFrameBuffer frames;
  ASSERT_TRUE(AppendFrame(frames, kFirstFrame, 1));
  frames.Discard();
  EXPECT_TRUE(frames.empty());
  EXPECT_TRUE(frames.failed());

  WalFrameBuffer header_only;
  const std::uint8_t header[kWalFrameHeaderSize] = {6};
  header_only.HoldHeader(header, kFirstFrame);
  header_only.Discard();
  EXPECT_EQ(header_only.held_header_offset(), WalFrameBuffer::kNoHeader);
  EXPECT_TRUE(header_only.failed());
}

}  // namespace
}  // namespace outreach::storage::detail
