#include "tests/testing/http_wire.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace outreach::testing {
namespace {

constexpr std::size_t kMaxHeadBytes = 64 * 1024;

// Reads from `stream` into `unread` until it holds at least `size` bytes; false at the end.
bool ReadAtLeast(ServerStream& stream, std::string& unread, std::size_t size) {
  char buffer[16 * 1024];
  while (unread.size() < size) {
    const std::size_t read = stream.Read(buffer, sizeof(buffer));
    if (read == 0) return false;
    unread.append(buffer, read);
  }
  return true;
}

std::string Trim(std::string text) {
  const auto not_space = [](unsigned char c) { return c != ' ' && c != '\t'; };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// "POST /v1/sync HTTP/1.1" then "Name: value" lines.
std::optional<RecordedRequest> ParseHead(const std::string& head) {
  RecordedRequest request;
  std::size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const std::size_t first_space = request_line.find(' ');
  const std::size_t second_space = request_line.find(' ', first_space + 1);
  if (first_space == std::string::npos || second_space == std::string::npos) return std::nullopt;
  request.method = request_line.substr(0, first_space);
  request.target = request_line.substr(first_space + 1, second_space - first_space - 1);
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) return std::nullopt;
    request.headers.emplace_back(Lower(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }
  return request;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Scripted";
  }
}

}  // namespace

std::optional<RecordedRequest> ReadHttpRequest(ServerStream& stream, std::string& unread) {
  std::size_t head_end;
  while ((head_end = unread.find("\r\n\r\n")) == std::string::npos) {
    if (unread.size() > kMaxHeadBytes || !ReadAtLeast(stream, unread, unread.size() + 1)) {
      return std::nullopt;
    }
  }
  std::optional<RecordedRequest> request = ParseHead(unread.substr(0, head_end));
  unread.erase(0, head_end + 4);
  if (!request) return std::nullopt;
  const std::size_t body_size = std::strtoull(request->Header("content-length").c_str(), nullptr, 10);
  if (!ReadAtLeast(stream, unread, body_size)) return std::nullopt;
  request->body = unread.substr(0, body_size);
  unread.erase(0, body_size);
  return request;
}

std::string FormatHttpResponse(const ScriptedResponse& response) {
  std::string wire = "HTTP/1.1 " + std::to_string(response.status) + " " +
                     ReasonPhrase(response.status) + "\r\n";
  wire += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (!response.content_type.empty()) wire += "Content-Type: " + response.content_type + "\r\n";
  for (const auto& [name, value] : response.headers) wire += name + ": " + value + "\r\n";
  wire += "\r\n";
  wire += response.body;
  return wire;
}

}  // namespace outreach::testing
