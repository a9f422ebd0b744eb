#include "sync-server/http/internal/http_wire.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <nlohmann/json.hpp>

namespace outreach::server::detail {
namespace {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";  // the phrase is informational; clients read the code
  }
}

char LowerAscii(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return LowerAscii(x) == LowerAscii(y); });
}

// RFC 9110 token characters.
bool IsToken(std::string_view name) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSymbols.find(c) != kSymbols.npos;
  });
}

bool IsSafeValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool IsFramingHeader(std::string_view name) {
  return EqualsIgnoringCase(name, "Content-Length") ||
         EqualsIgnoringCase(name, "Transfer-Encoding") || EqualsIgnoringCase(name, "Connection");
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

HttpResponse JsonErrorResponse(int status, std::string_view error, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = nlohmann::json{{"error", error}, {"message", message}}.dump();
  return response;
}

std::string MediaTypeOf(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  const auto first = content_type.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = content_type.find_last_not_of(" \t");
  std::string media_type(content_type.substr(first, last - first + 1));
  std::transform(media_type.begin(), media_type.end(), media_type.begin(), LowerAscii);
  return media_type;
}

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

bool IsSendable(const HttpResponse& response) {
  if (response.status < 200 || response.status > 599) return false;
  if (!IsSafeValue(response.content_type)) return false;
  return std::all_of(response.headers.begin(), response.headers.end(), [](const auto& header) {
    return IsToken(header.first) && IsSafeValue(header.second) && !IsFramingHeader(header.first);
  });
}

std::string SerializeResponse(const HttpResponse& response, bool keep_alive, bool include_body) {
  assert(IsSendable(response));
  // RFC 9110 8.6, 15.3.5, 15.4.5: 204 and 304 end at the header; a Content-Length of 0 would
  // misstate a 304's resource to caches, so neither gets one.
  const bool bodyless = response.status == 204 || response.status == 304;
  std::string out;
  out.reserve(256 + (include_body && !bodyless ? response.body.size() : 0));
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  out.append(ReasonPhrase(response.status)).append("\r\n");
  if (!response.content_type.empty() && !bodyless) {
    AppendHeader(out, "Content-Type", response.content_type);
  }
  if (!bodyless) AppendHeader(out, "Content-Length", std::to_string(response.body.size()));
  AppendHeader(out, "Connection", keep_alive ? "keep-alive" : "close");
  for (const auto& [name, value] : response.headers) AppendHeader(out, name, value);
  out.append("\r\n");
  if (include_body && !bodyless) out.append(response.body);
  return out;
}

}  // namespace outreach::server::detail
