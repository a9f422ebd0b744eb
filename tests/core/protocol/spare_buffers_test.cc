// Decompressed bodies go into buffers kept from earlier messages: a body read into a buffer a
// larger one left behind holds exactly its own bytes, and the keeping is bounded. Compressing
// goes through a buffer its thread keeps: each frame holds its own message alone.
#include "core/protocol/internal/spare_buffers.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/protocol/binary_codec.h"
#include "core/protocol/internal/zstd_frame.h"
#include "protocol_samples.h"
#include "tests/testing/status_matchers.h"

namespace outreach::protocol::internal {
namespace {

// No buffer kept by an earlier test: each Take then gets a fresh string.
void TakeAllKept() {
  while (TakeSpareBuffer().capacity() > std::string().capacity()) {
  }
}

std::string RandomText(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string text(size, '\0');
  for (char& c : text) c = static_cast<char>('a' + random() % 8);  // compresses, but not to nothing
  return text;
}

TEST(SpareBuffers, ABodyReadIntoALargerBufferHoldsExactlyItsOwnBytes) {
  TakeAllKept();
  const std::string large = RandomText(900'000, 1);
  ASSERT_OK_AND_ASSIGN(std::string first, Decompress(Compress(large), 1 << 24));
  ASSERT_EQ(first, large);
  const char* const kept_memory = first.data();
  KeepSpareBuffer(std::move(first));
  const std::string small = RandomText(1'000, 2);
  ASSERT_OK_AND_ASSIGN(std::string second, Decompress(Compress(small), 1 << 24));
  EXPECT_EQ(second, small) << "nothing of the larger body is left past the smaller one";
  EXPECT_EQ(second.data(), kept_memory) << "the kept buffer was used";
  KeepSpareBuffer(std::move(second));
  // A body larger than the buffer grows it, and is whole.
  const std::string larger = RandomText(2'000'000, 3);
  ASSERT_OK_AND_ASSIGN(std::string third, Decompress(Compress(larger), 1 << 24));
  EXPECT_EQ(third, larger);
}

// A push is several frames (head, changes, tail): the sizes all of them declare are summed,
// so the buffer is made once, at its final size (no growing and copying on the way; exact
// capacity as libstdc++ gives it), and a body of megabytes is kept for the next.
TEST(SpareBuffers, AFramedBodyDecodesIntoTheRoomItDeclares) {
  TakeAllKept();
  // Framed as a push is (binary_codec.h), with text that compresses as records do (a few
  // times over; far more would pass the bound zstd_frame.cc puts on what a header declares).
  const std::string changes = RandomText(300'000, 5);
  const std::string body = Compress("head") + Compress(changes) + Compress("tail");
  ASSERT_OK_AND_ASSIGN(std::string archive, Decompress(body, 1 << 24));
  EXPECT_EQ(archive, "head" + changes + "tail");
  EXPECT_EQ(archive.capacity(), archive.size()) << "the buffer never grew";
  const std::string large = RandomText(5'000'000, 4);
  ASSERT_OK_AND_ASSIGN(std::string plain, Decompress(Compress(large), 1 << 24));
  EXPECT_EQ(plain, large);
  KeepSpareBuffer(std::move(plain));
  EXPECT_GE(TakeSpareBuffer().capacity(), large.size());
}

TEST(SpareBuffers, EachCompressedFrameHoldsItsOwnMessageWhateverWasCompressedBefore) {
  // Large, small, beyond the buffer a thread keeps (4 MiB) and further, small again, empty.
  const std::vector<std::string> messages{RandomText(3 << 20, 1), RandomText(1000, 2),
                                          RandomText(5 << 20, 3), RandomText(9 << 20, 4),
                                          "short", ""};
  for (const std::string& message : messages) {
    SCOPED_TRACE(message.size());
    const std::string frame = Compress(message);
    EXPECT_LT(frame.size(), message.size() / 2 + 64) << "the frame alone, not the buffer";
    ASSERT_OK_AND_ASSIGN(std::string plain, Decompress(frame, message.size()));
    EXPECT_EQ(plain, message);
  }
}

TEST(SpareBuffers, AFewBuffersAreKeptAndNoneTooLarge) {
  TakeAllKept();
  for (int i = 0; i < 10; ++i) {
    std::string buffer;
    buffer.reserve(100'000);
    KeepSpareBuffer(std::move(buffer));
  }
  int kept = 0;
  while (TakeSpareBuffer().capacity() >= 100'000) ++kept;
  EXPECT_EQ(kept, 4);
  std::string tiny;
  tiny.reserve(1'000);
  KeepSpareBuffer(std::move(tiny));
  EXPECT_LT(TakeSpareBuffer().capacity(), std::size_t{1'000}) << "too small to be worth keeping";
  std::string huge;
  huge.reserve(9 * 1024 * 1024);
  KeepSpareBuffer(std::move(huge));
  EXPECT_LT(TakeSpareBuffer().capacity(), std::size_t{9 * 1024 * 1024});
  std::string held = "records";
  held.reserve(100'000);
  KeepSpareBuffer(std::move(held));
  EXPECT_EQ(TakeSpareBuffer(), "") << "a buffer taken is empty";
}

// A request read through the reader gives its buffer back, and the next request read into it
// decodes to its own changes.
TEST(SpareBuffers, RequestsReadOneAfterAnotherDecodeToTheirOwnChanges) {
  TakeAllKept();
  const SyncRequest big = testing::SampleRequest(300);
  const SyncRequest little = testing::SampleRequest(1);
  const std::string big_body = EncodeBinary(big);
  ASSERT_OK_AND_ASSIGN(std::string big_archive, Decompress(big_body.substr(7), 1 << 24));
  ASSERT_GT(big_archive.size(), std::size_t{64 * 1024}) << "large enough to be kept";
  TakeAllKept();
  ASSERT_OK_AND_ASSIGN(SyncRequest first, DecodeBinaryRequest(big_body));
  EXPECT_EQ(first.changes, big.changes);
  ASSERT_OK_AND_ASSIGN(SyncRequest second, DecodeBinaryRequest(EncodeBinary(little)));
  EXPECT_EQ(second.changes, little.changes);
  EXPECT_GT(TakeSpareBuffer().capacity(), std::string().capacity()) << "given back once read";
}

}  // namespace
}  // namespace outreach::protocol::internal
