// RFC 3986 URI references, as far as JSON Schema's "$id" and "$ref" need them: resolving a
// reference against a base URI, splitting off the fragment, and percent-coding fragments that
// hold JSON pointers. Purely textual: no case or percent-encoding normalisation, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace outreach::schema::detail {

// `reference` resolved against the absolute URI `base` (RFC 3986 section 5.2, strict: a
// reference with a scheme is absolute), dot segments removed. The result keeps the
// reference's fragment, if it has one.
std::string ResolveUriReference(std::string_view base, std::string_view reference);

// "http://a/b#/c" -> {"http://a/b", "/c"}; no '#' -> fragment nullopt; "x#" -> fragment "".
struct UriAndFragment {
  std::string uri;
  std::optional<std::string> fragment;
};
UriAndFragment SplitFragment(std::string_view uri);

// "%25" -> "%", ...; a '%' not followed by two hex digits is kept as it is.
std::string PercentDecode(std::string_view text);

// `pointer` (RFC 6901) as a URI fragment: every byte that RFC 3986 does not allow in a
// fragment, and '%' itself, percent-encoded.
std::string PercentEncodeFragment(std::string_view pointer);

}  // namespace outreach::schema::detail
