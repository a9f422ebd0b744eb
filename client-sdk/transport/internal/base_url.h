// The server address a transport may talk to: https anywhere, plain http only to this machine
// (DESIGN.md section 5: "Plain HTTP only on loopback"), so a misconfigured device can never
// send a token or a record in clear over a network.
#pragma once

#include <string>

#include "core/base/status.h"

namespace outreach::client::detail {

struct BaseUrl {
  std::string prefix;  // scheme://host[:port][/path], no trailing '/'; request paths follow it
  bool https = true;
};

// invalid_argument: not an absolute URL, a scheme other than https/http, http to anything but
// 127.0.0.1 / localhost / [::1], or user info, a query or a fragment (none belong in a base).
Result<BaseUrl> CheckBaseUrl(const std::string& url);

// invalid_argument unless `path` starts with '/' and has no spaces or control characters
// (which would otherwise reach the request line).
Status CheckRequestPath(const std::string& path);

}  // namespace outreach::client::detail
