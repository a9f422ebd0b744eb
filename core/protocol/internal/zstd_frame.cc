#include "core/protocol/internal/zstd_frame.h"

#include <algorithm>
#include <memory>
#include <new>

#include <zstd.h>

namespace outreach::protocol::internal {
namespace {

// One context of each kind per thread, kept: a compression context at level 3 is over a MiB
// of tables, and making one per message had the allocator map, fault in and zero that memory
// again for every request and answer (a good part of the server's time on a push).
struct CompressionContext {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context{ZSTD_createCCtx(), ZSTD_freeCCtx};
};
struct DecompressionContext {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context{ZSTD_createDCtx(), ZSTD_freeDCtx};
};

// Room made before decompressing, from the size the frame declares: never more than the limit,
// nor more than kMaxExpansion times the input (a declared size is not trusted beyond that; a
// frame that truly expands more grows the buffer as it goes).
constexpr std::size_t kMaxExpansion = 32;

}  // namespace

std::string Compress(std::string_view plain, int level) {
  thread_local CompressionContext compressor;
  if (!compressor.context) throw std::bad_alloc();
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const std::size_t size = ZSTD_compressCCtx(compressor.context.get(), out.data(), out.size(),
                                             plain.data(), plain.size(), level);
  // Compressing into a buffer of compressBound bytes cannot fail except on allocation failure.
  if (ZSTD_isError(size)) throw std::bad_alloc();
  out.resize(size);
  return out;
}

Result<std::string> Decompress(std::string_view compressed, std::size_t max_output) {
  thread_local DecompressionContext decompressor;
  ZSTD_DCtx* context = decompressor.context.get();
  if (context == nullptr) return Status(StatusCode::kResourceExhausted, "no memory for zstd");
  // A frame a former call left unfinished (an error) must not carry over into this one.
  ZSTD_DCtx_reset(context, ZSTD_reset_session_only);
  const Status too_large(StatusCode::kResourceExhausted, "decompressed body too large");
  std::string out;
  const unsigned long long declared = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    const std::size_t bound = std::min(max_output, compressed.size() * kMaxExpansion);
    out.reserve(static_cast<std::size_t>(std::min<unsigned long long>(declared, bound)));
  }
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  std::size_t frame_open = 1;  // ZSTD_decompressStream's hint: 0 once a frame is complete
  while (input.pos < input.size || frame_open != 0) {
    const std::size_t old_size = out.size();
    if (old_size > max_output) return too_large;
    // Into the room reserved, else at least a block's worth more.
    const std::size_t chunk = std::max(ZSTD_DStreamOutSize(), out.capacity() - old_size);
    out.resize(old_size + chunk);
    ZSTD_outBuffer output{out.data() + old_size, chunk, 0};
    frame_open = ZSTD_decompressStream(context, &output, &input);
    if (ZSTD_isError(frame_open)) return InvalidArgumentError("body is not valid zstd");
    out.resize(old_size + output.pos);
    // No input left, nothing produced, frame unfinished: the body was cut short.
    if (input.pos == input.size && output.pos == 0 && frame_open != 0) {
      return InvalidArgumentError("truncated zstd frame");
    }
  }
  if (out.size() > max_output) return too_large;
  return out;
}

}  // namespace outreach::protocol::internal
