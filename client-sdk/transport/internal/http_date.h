// HTTP-date (RFC 9110 section 5.6.7): the three formats a recipient must accept, as used by
// Retry-After. IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" is what servers send today; the
// obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994"
// forms are still accepted because the RFC says recipients must.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace outreach::client::detail {

// The instant `text` names, or nullopt if it is not an HTTP-date (or names an impossible date
// such as 31 Feb). The weekday is not checked against the date.
std::optional<std::chrono::sys_seconds> ParseHttpDate(std::string_view text);

}  // namespace outreach::client::detail
