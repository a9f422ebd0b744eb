#include "client-sdk/transport/internal/curl_errors.h"

#include <string>

namespace outreach::client::detail {
namespace {

bool IsTlsRefusal(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CIPHER:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool IsRetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_WEIRD_SERVER_REPLY:  // a reply cut inside its status line
    case CURLE_HTTP2:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    // A handshake cut half-way looks like this too; a server that cannot speak TLS 1.2 does as
    // well, but then every attempt fails the same way and the caller still gets unavailable.
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

Status CurlErrorStatus(CURLcode code, std::string_view detail) {
  std::string message = curl_easy_strerror(code);
  if (!detail.empty()) {
    message += " (";
    message += detail;
    message += ")";
  }
  if (IsTlsRefusal(code)) return FailedPreconditionError("TLS: " + message);
  switch (code) {
    case CURLE_ABORTED_BY_CALLBACK:
      return Status(StatusCode::kAborted, "request cancelled");
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR:  // our write callback fails only when the body cannot be stored
      return Status(StatusCode::kResourceExhausted, message);
    default:
      return UnavailableError(message);
  }
}

}  // namespace outreach::client::detail
