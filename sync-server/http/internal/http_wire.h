// HTTP/1.1 bytes without Beast: the response the server writes, the JSON errors of the HTTP
// layer, and the media type of a Content-Type value. Pure functions, so the framing rules are
// tested without a socket; only http_server.cc calls them.
#pragma once

#include <string>
#include <string_view>

#include "sync-server/http/http_types.h"

namespace outreach::server::detail {

// {"error":error,"message":message} with `status`, as every refusal of the HTTP layer
// (400, 408, 413, 431, 500, 503) is answered.
HttpResponse JsonErrorResponse(int status, std::string_view error, std::string_view message);

// The media type of a Content-Type value, lower case, without parameters or spaces:
// "Application/JSON; charset=utf-8" -> "application/json".
std::string MediaTypeOf(std::string_view content_type);

// The request target without its query: "/v1/sync?x=1" -> "/v1/sync".
std::string_view PathOf(std::string_view target);

// Whether a handler's response can be written as it is: status 200-599, a content type and
// header values without CR, LF or NUL (no header injection), header names that are tokens, and
// none of the framing headers the server owns (Content-Length, Transfer-Encoding, Connection).
bool IsSendable(const HttpResponse& response);

// The response as HTTP/1.1 bytes with Content-Length and an explicit Connection header (HTTP/1.0
// clients need "keep-alive" spelled out). `include_body` is false for HEAD; 204 and 304 never
// carry a body. Requires IsSendable(response).
std::string SerializeResponse(const HttpResponse& response, bool keep_alive, bool include_body);

}  // namespace outreach::server::detail
