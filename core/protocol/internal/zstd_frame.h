// zstd compression of whole message bodies: a batch compresses far better as one frame than
// record by record (FIELD-NOTES.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace outreach::protocol::internal {

std::string Compress(std::string_view plain, int level = 3);

// Streams the frame(s): resource_exhausted once the output would pass `max_output`,
// invalid_argument for bytes that are not zstd. The size a frame declares only sizes the first
// buffer, within a small bound (zstd_frame.cc), so a lying header cannot make us allocate much.
Result<std::string> Decompress(std::string_view compressed, std::size_t max_output);

}  // namespace outreach::protocol::internal
