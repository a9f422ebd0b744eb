#include "client-sdk/transport/internal/base_url.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

namespace outreach::client::detail {
namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};

// One part of a parsed URL, or nullopt when the URL has none.
std::optional<std::string> Part(CURLU* url, CURLUPart part) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, 0) != CURLUE_OK) return std::nullopt;
  std::unique_ptr<char, CurlStringDeleter> owned(raw);
  return std::string(raw);
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool IsLoopbackHost(const std::string& host) {
  const std::string lower = Lower(host);
  return lower == "127.0.0.1" || lower == "localhost" || lower == "[::1]";
}

}  // namespace

Result<BaseUrl> CheckBaseUrl(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed) return Status(StatusCode::kResourceExhausted, "out of memory parsing the base URL");
  // No flags: a scheme is required and nothing is guessed.
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    // The URL itself stays out of messages: it could carry credentials.
    return InvalidArgumentError("base URL is not an absolute URL");
  }
  const std::string scheme = Lower(Part(parsed.get(), CURLUPART_SCHEME).value_or(""));
  const std::string host = Part(parsed.get(), CURLUPART_HOST).value_or("");
  if (scheme != "https" && scheme != "http") {
    return InvalidArgumentError("base URL must be https, not '" + scheme + "'");
  }
  if (scheme == "http" && !IsLoopbackHost(host)) {
    return InvalidArgumentError("plain http is only allowed to 127.0.0.1, localhost or [::1], not " +
                                host);
  }
  if (Part(parsed.get(), CURLUPART_USER) || Part(parsed.get(), CURLUPART_QUERY) ||
      Part(parsed.get(), CURLUPART_FRAGMENT)) {
    return InvalidArgumentError("base URL must not carry user info, a query or a fragment");
  }
  BaseUrl base{Part(parsed.get(), CURLUPART_URL).value_or(url), scheme == "https"};
  while (!base.prefix.empty() && base.prefix.back() == '/') base.prefix.pop_back();
  return base;
}

Status CheckRequestPath(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return InvalidArgumentError("request path must start with '/'");
  }
  for (unsigned char c : path) {
    if (c <= ' ' || c == 0x7f) {
      return InvalidArgumentError("request path has a space or control character");
    }
  }
  return Status::Ok();
}

}  // namespace outreach::client::detail
