// Reading HTTP/1.1 requests and writing responses for the test servers: just enough of the
// protocol for a libcurl client (Content-Length bodies, no chunked requests, keep-alive).
#pragma once

#include <optional>
#include <string>

#include "tests/testing/scripted_http_server.h"
#include "tests/testing/server_stream.h"

namespace outreach::testing {

// The next request on `stream`. `unread` carries bytes read past the previous request (none
// today, as clients do not pipeline, but keep-alive must not lose them). nullopt at the end of
// the stream or on a request it cannot parse.
std::optional<RecordedRequest> ReadHttpRequest(ServerStream& stream, std::string& unread);

// The wire bytes of `response`'s status line, headers and body.
std::string FormatHttpResponse(const ScriptedResponse& response);

}  // namespace outreach::testing
