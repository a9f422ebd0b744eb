// RFC 6901 JSON pointer building for validation problems.
#pragma once

#include <string>
#include <string_view>

namespace outreach::schema::detail {

// `parent` + "/" + `token`, with "~" escaped as "~0" and "/" as "~1".
std::string AppendPointerToken(std::string_view parent, std::string_view token);

}  // namespace outreach::schema::detail
