#include "core/protocol/internal/zstd_frame.h"

#include <algorithm>
#include <memory>
#include <new>

#include <zstd.h>

#include "core/protocol/internal/spare_buffers.h"

namespace outreach::protocol::internal {
namespace {

// One context of each kind per thread, kept: a compression context holds hundreds of KiB
// of tables, and making one per message had the allocator map, fault in and zero that memory
// again for every request and answer (a good part of the server's time on a push). Made again
// on the next call if making one failed.
using CompressionContext = std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)>;
using DecompressionContext = std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)>;

ZSTD_CCtx* ThreadCompressor() {
  thread_local CompressionContext context(nullptr, ZSTD_freeCCtx);
  if (!context) context.reset(ZSTD_createCCtx());
  return context.get();
}

thread_local DecompressionContext decompressor(nullptr, ZSTD_freeDCtx);

// A frame with a large window makes the context keep a buffer of that window's size (up to
// 128 MiB). Our encoders' windows are at most 2 MiB; a context grown past this is dropped
// after the call rather than kept for the thread's life.
constexpr std::size_t kLargestKeptContext = 8 * 1024 * 1024;

// The room made before decompressing, from the sizes the frames declare. The declarations are
// not trusted: the room is also bounded by the limit, by kMaxExpansion times the input, and by
// kMaxInitialRoom, so lying headers cost at most that; frames that truly expand more grow the
// buffer as they go.
constexpr std::size_t kMaxExpansion = 32;
constexpr std::size_t kMaxInitialRoom = 8 * 1024 * 1024;

// The largest buffer a thread keeps to compress into (Compress): a push of 2,000 changes or a
// page of 2,000 records; a larger message gets a buffer of its own. So a thread that ever
// compressed keeps up to this much for its life (the device's sync thread, the server's).
constexpr std::size_t kLargestKeptCompressBuffer = 4 * 1024 * 1024;

std::size_t InitialRoom(std::string_view compressed, std::size_t max_output) {
  // A push is a few frames (binary_codec.h): the sizes they declare, summed.
  unsigned long long declared = 0;
  std::string_view rest = compressed;
  for (int frame = 0; frame < 4 && !rest.empty() && declared <= max_output; ++frame) {
    const unsigned long long size = ZSTD_getFrameContentSize(rest.data(), rest.size());
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR) break;
    // Each term at most max_output, and the loop stops once past it: no wrap from a lying header.
    declared += std::min<unsigned long long>(size, max_output);
    const std::size_t length = ZSTD_findFrameCompressedSize(rest.data(), rest.size());
    if (ZSTD_isError(length) || length > rest.size()) break;
    rest.remove_prefix(length);
  }
  if (declared == 0) return 0;
  const std::size_t bound =
      std::min({max_output, compressed.size() * kMaxExpansion, kMaxInitialRoom});
  return static_cast<std::size_t>(std::min<unsigned long long>(declared, bound));
}

Result<std::string> DecompressWith(ZSTD_DCtx* context, std::string_view compressed,
                                   std::size_t max_output) {
  const Status too_large(StatusCode::kResourceExhausted, "decompressed body too large");
  // Zeroed once (resize) and never shrunk between passes: each frame decodes straight into the
  // room left (in one pass when its declared size fits), and a pass that makes nothing zeroes
  // nothing again. A spare buffer may have far more room than this body needs: only the room
  // the frames declare is filled.
  std::string out = TakeSpareBuffer();
  // A body refused keeps the buffer for the next: a run of bad bodies does not empty the pool.
  const auto refuse = [&out](Status status) {
    KeepSpareBuffer(std::move(out));
    return status;
  };
  out.resize(InitialRoom(compressed, max_output));
  std::size_t filled = 0;
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  std::size_t frame_open = 1;  // ZSTD_decompressStream's hint: 0 once a frame is complete
  while (input.pos < input.size || frame_open != 0) {
    if (filled > max_output) return refuse(too_large);
    if (filled == out.size()) out.resize(filled + ZSTD_DStreamOutSize());  // a block's worth more
    ZSTD_outBuffer output{out.data(), out.size(), filled};
    frame_open = ZSTD_decompressStream(context, &output, &input);
    if (ZSTD_isError(frame_open)) return refuse(InvalidArgumentError("body is not valid zstd"));
    const bool produced = output.pos > filled;
    filled = output.pos;
    // No input left, nothing produced, frame unfinished: the body was cut short.
    if (input.pos == input.size && !produced && frame_open != 0) {
      return refuse(InvalidArgumentError("truncated zstd frame"));
    }
  }
  out.resize(filled);
  if (out.size() > max_output) return refuse(too_large);
  return out;
}

}  // namespace

std::string Compress(std::string_view plain, int level) {
  ZSTD_CCtx* context = ThreadCompressor();
  if (context == nullptr) throw std::bad_alloc();
  // Into a buffer the thread keeps, the frame then copied out: a buffer of compressBound bytes
  // made for each message was zeroed whole, though the frame is a fraction of it, and at a
  // push of 2,000 changes (2 MB) that was fresh memory each time: the device's page faults
  // more than doubled. Above kLargestKeptCompressBuffer a buffer is made for the message alone.
  thread_local std::string kept;
  std::string once;
  const std::size_t bound = ZSTD_compressBound(plain.size());
  std::string& scratch = bound <= kLargestKeptCompressBuffer ? kept : once;
  if (scratch.size() < bound) scratch.resize(bound);
  // Every parameter is set afresh by this call: nothing carries over from the last message.
  const std::size_t size =
      ZSTD_compressCCtx(context, scratch.data(), bound, plain.data(), plain.size(), level);
  // Compressing into a buffer of compressBound bytes cannot fail except on allocation failure.
  if (ZSTD_isError(size)) throw std::bad_alloc();
  return std::string(scratch.data(), size);
}

Result<std::string> DecompressPrefix(std::string_view compressed, std::size_t length) {
  if (!decompressor) decompressor.reset(ZSTD_createDCtx());
  if (!decompressor) return Status(StatusCode::kResourceExhausted, "no memory for zstd");
  ZSTD_DCtx_reset(decompressor.get(), ZSTD_reset_session_only);
  std::string out(length, '\0');
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  ZSTD_outBuffer output{out.data(), out.size(), 0};
  // Until the prefix is full, the input is used up, or the frame ends.
  while (output.pos < output.size && input.pos < input.size) {
    const std::size_t before = output.pos + input.pos;
    const std::size_t frame_open = ZSTD_decompressStream(decompressor.get(), &output, &input);
    if (ZSTD_isError(frame_open)) {
      decompressor.reset();
      return InvalidArgumentError("body is not valid zstd");
    }
    if (output.pos + input.pos == before) break;  // frames follow one another, as in a push
  }
  // The frame's rest is left unread: the next call resets the context.
  out.resize(output.pos);
  return out;
}

Result<std::string> Decompress(std::string_view compressed, std::size_t max_output) {
  if (!decompressor) decompressor.reset(ZSTD_createDCtx());
  if (!decompressor) return Status(StatusCode::kResourceExhausted, "no memory for zstd");
  // A frame a former call left unfinished (an error) must not carry over into this one.
  ZSTD_DCtx_reset(decompressor.get(), ZSTD_reset_session_only);
  Result<std::string> out = DecompressWith(decompressor.get(), compressed, max_output);
  if (!out.ok() || ZSTD_sizeof_DCtx(decompressor.get()) > kLargestKeptContext) {
    decompressor.reset();
  }
  return out;
}

}  // namespace outreach::protocol::internal
