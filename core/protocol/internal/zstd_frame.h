// zstd compression of whole message bodies: a batch compresses far better as one frame than
// record by record (FIELD-NOTES.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace outreach::protocol::internal {

// Level 1: on sync bodies (records and changes) it compresses as well as level 3 did (0.096 of
// a page's archive either way) in 0.7 of the time, on the path of every request and answer.
std::string Compress(std::string_view plain, int level = 1);

// Streams the frame(s): resource_exhausted once the output would pass `max_output`,
// invalid_argument for bytes that are not zstd. The size a frame declares only sizes the first
// buffer, within a small bound (zstd_frame.cc), so a lying header cannot make us allocate much.
// The output is a spare buffer when one is kept: give it back once read (KeepSpareBuffer).
Result<std::string> Decompress(std::string_view compressed, std::size_t max_output);

// The first `length` bytes the frame holds (fewer if it holds fewer), without decompressing
// the rest: a message's head. invalid_argument for bytes that are not zstd.
Result<std::string> DecompressPrefix(std::string_view compressed, std::size_t length);

}  // namespace outreach::protocol::internal
