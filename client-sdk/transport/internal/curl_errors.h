// What a libcurl transfer error means to the retry loop and to the caller.
#pragma once

#include <curl/curl.h>

#include <string_view>

#include "core/base/status.h"

namespace outreach::client::detail {

// Network trouble that another attempt may not meet: refused, reset, cut or timed-out
// connections, a failed name lookup (no signal yet), an interrupted TLS handshake.
bool IsRetryableCurlError(CURLcode code);

// The Status for a transfer that failed with `code`; `detail` is libcurl's error buffer (may be
// empty). failed_precondition: the server's certificate or pin was refused, or the CA file is
// unusable (retrying cannot help until the configuration changes); aborted: cancelled through
// the progress callback; resource_exhausted: out of memory; unavailable: anything else.
Status CurlErrorStatus(CURLcode code, std::string_view detail);

}  // namespace outreach::client::detail
