#include "core/protocol/internal/zstd_frame.h"

#include <memory>

#include <zstd.h>

namespace outreach::protocol::internal {

std::string Compress(std::string_view plain, int level) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const std::size_t size = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), level);
  // Compressing into a buffer of compressBound bytes cannot fail except on allocation failure.
  if (ZSTD_isError(size)) throw std::bad_alloc();
  out.resize(size);
  return out;
}

Result<std::string> Decompress(std::string_view compressed, std::size_t max_output) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!context) return Status(StatusCode::kResourceExhausted, "no memory for zstd");
  const Status too_large(StatusCode::kResourceExhausted, "decompressed body too large");
  std::string out;
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  std::size_t frame_open = 1;  // ZSTD_decompressStream's hint: 0 once a frame is complete
  while (input.pos < input.size || frame_open != 0) {
    const std::size_t chunk = ZSTD_DStreamOutSize();
    const std::size_t old_size = out.size();
    if (old_size > max_output) return too_large;
    out.resize(old_size + chunk);
    ZSTD_outBuffer output{out.data() + old_size, chunk, 0};
    frame_open = ZSTD_decompressStream(context.get(), &output, &input);
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
