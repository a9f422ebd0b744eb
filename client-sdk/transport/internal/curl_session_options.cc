// CurlSession, the options: what is fixed for the life of the handle (TLS, timeouts,
// callbacks) and what each request sets (URL, method, body, headers).
#include "client-sdk/transport/internal/curl_session.h"

#include <mutex>
#include <string>
#include <vector>

namespace outreach::client::detail {
namespace {

// curl_global_init is not thread-safe and must run once before any handle exists.
CURLcode GlobalInitOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

// Applies options in order and keeps the first failure, so setup reads as a flat list.
class OptionSetter {
 public:
  explicit OptionSetter(CURL* easy) : easy_(easy) {}
  template <typename Value>
  OptionSetter& Set(CURLoption option, Value value) {
    if (result_ == CURLE_OK) result_ = curl_easy_setopt(easy_, option, value);
    return *this;
  }
  CURLcode result() const { return result_; }

 private:
  CURL* easy_;
  CURLcode result_ = CURLE_OK;
};

bool HasLineBreak(const std::string& value) {
  return value.find_first_of("\r\n") != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<CurlSession>> CurlSession::Create(const TransportOptions& options,
                                                         bool https) {
  if (GlobalInitOnce() != CURLE_OK) return InternalError("curl_global_init failed");
  CURLM* multi = curl_multi_init();
  CURL* easy = curl_easy_init();
  // Owned from here on, so every return below frees both.
  std::unique_ptr<CurlSession> session(new CurlSession(multi, easy));
  if (multi == nullptr || easy == nullptr) {
    return Status(StatusCode::kResourceExhausted, "libcurl could not create its handles");
  }
  OptionSetter setter(easy);
  setter.Set(CURLOPT_NOSIGNAL, 1L)  // no SIGALRM for name lookups: the SDK runs in app threads
      .Set(CURLOPT_ERRORBUFFER, session->error_buffer_)
      // Only the base URL's scheme; no redirects, which could leave https.
      .Set(CURLOPT_PROTOCOLS_STR, https ? "https" : "http")
      .Set(CURLOPT_FOLLOWLOCATION, 0L)
      // The sync server (Beast) speaks HTTP/1.1; one request per connection at a time.
      .Set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1))
      .Set(CURLOPT_USERAGENT, "outreach-sync-sdk")
      .Set(CURLOPT_TCP_KEEPALIVE, 1L)
      .Set(CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms)
      .Set(CURLOPT_TIMEOUT_MS, options.transfer_timeout_ms)
      .Set(CURLOPT_SSL_VERIFYPEER, 1L)
      .Set(CURLOPT_SSL_VERIFYHOST, 2L)
      .Set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2))
      .Set(CURLOPT_WRITEFUNCTION, &CurlSession::OnBodyBytes)
      .Set(CURLOPT_WRITEDATA, session.get())
      .Set(CURLOPT_NOPROGRESS, 0L)
      .Set(CURLOPT_XFERINFOFUNCTION, &CurlSession::OnProgress)
      .Set(CURLOPT_XFERINFODATA, session.get());
  if (!options.ca_file.empty()) {
    // Only this bundle: without clearing CAPATH, Debian's libcurl would also trust every CA in
    // /etc/ssl/certs.
    setter.Set(CURLOPT_CAINFO, options.ca_file.c_str()).Set(CURLOPT_CAPATH, nullptr);
  }
  if (!options.pinned_public_key.empty()) {
    setter.Set(CURLOPT_PINNEDPUBLICKEY, options.pinned_public_key.c_str());
    if (options.ca_file.empty() && options.lone_pin == TransportOptions::LonePin::kPinAlone) {
      // A pin and no CA: the key is the trust (the server's self-signed certificate chains to
      // no CA). libcurl still checks the pin and the host name against the certificate.
      setter.Set(CURLOPT_SSL_VERIFYPEER, 0L);
    }
  }
  if (setter.result() != CURLE_OK) {
    return InternalError(std::string("libcurl refused an option: ") +
                         curl_easy_strerror(setter.result()));
  }
  return session;
}

Status CurlSession::SetPerRequestOptions(const WireRequest& request,
                                         const RequestOptions& options, curl_slist** headers) {
  // A line break in a header value would let it write headers of its own.
  if (HasLineBreak(request.content_type) || HasLineBreak(options.accept) ||
      HasLineBreak(options.bearer_token)) {
    return InvalidArgumentError("a header value contains a line break");
  }
  std::vector<std::string> lines = {
      // No "Expect: 100-continue" round trip before larger bodies: the server reads them anyway.
      "Expect:",
  };
  if (request.post_body != nullptr) {
    // Never libcurl's default for POST bodies (a form encoding), which no body here is.
    lines.push_back("Content-Type: " + (request.content_type.empty() ? "application/octet-stream"
                                                                      : request.content_type));
  }
  if (!options.accept.empty()) lines.push_back("Accept: " + options.accept);
  if (!options.bearer_token.empty()) {
    lines.push_back("Authorization: Bearer " + options.bearer_token);
  }
  for (const std::string& line : lines) {
    curl_slist* extended = curl_slist_append(*headers, line.c_str());
    if (extended == nullptr) return Status(StatusCode::kResourceExhausted, "out of memory");
    *headers = extended;
  }
  OptionSetter setter(easy_);
  setter.Set(CURLOPT_URL, request.url.c_str()).Set(CURLOPT_HTTPHEADER, *headers);
  if (request.post_body != nullptr) {
    setter.Set(CURLOPT_POST, 1L)
        .Set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.post_body->size()))
        .Set(CURLOPT_POSTFIELDS, request.post_body->data());
  } else {
    setter.Set(CURLOPT_HTTPGET, 1L);  // also undoes a previous POST on this handle
  }
  if (setter.result() != CURLE_OK) {
    return InvalidArgumentError(std::string("libcurl refused the request: ") +
                                curl_easy_strerror(setter.result()));
  }
  return Status::Ok();
}

}  // namespace outreach::client::detail
