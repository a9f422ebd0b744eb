// Large byte buffers kept between messages, so a body is decompressed into memory already
// mapped and touched rather than fresh memory.
#pragma once

#include <string>

namespace outreach::protocol::internal {

// An empty buffer, with the capacity a former message left in it (none if no buffer is kept).
std::string TakeSpareBuffer();

// Keeps `buffer` for a later TakeSpareBuffer if few are kept and it is neither too small nor
// too large (spare_buffers.cc); otherwise frees it. Emptied either way (its bytes stay in the
// memory until overwritten, as in memory freed).
void KeepSpareBuffer(std::string&& buffer) noexcept;

}  // namespace outreach::protocol::internal
