#include "core/schema/internal/uri_reference.h"

#include <algorithm>

namespace outreach::schema::detail {
namespace {

// The five components of RFC 3986 section 3; an absent component is nullopt, which differs
// from an empty one ("http://a/b?" has an empty query).
struct UriParts {
  std::optional<std::string_view> scheme;
  std::optional<std::string_view> authority;
  std::string_view path;
  std::optional<std::string_view> query;
  std::optional<std::string_view> fragment;
};

// Splits as the regular expression of RFC 3986 appendix B does.
UriParts ParseUri(std::string_view text) {
  UriParts parts;
  const std::size_t scheme_end = text.find_first_of(":/?#");
  if (scheme_end != std::string_view::npos && scheme_end > 0 && text[scheme_end] == ':') {
    parts.scheme = text.substr(0, scheme_end);
    text.remove_prefix(scheme_end + 1);
  }
  if (text.substr(0, 2) == "//") {
    text.remove_prefix(2);
    const std::size_t authority_end = std::min(text.find_first_of("/?#"), text.size());
    parts.authority = text.substr(0, authority_end);
    text.remove_prefix(authority_end);
  }
  const std::size_t path_end = std::min(text.find_first_of("?#"), text.size());
  parts.path = text.substr(0, path_end);
  text.remove_prefix(path_end);
  if (!text.empty() && text.front() == '?') {
    const std::size_t query_end = std::min(text.find('#'), text.size());
    parts.query = text.substr(1, query_end - 1);
    text.remove_prefix(query_end);
  }
  if (!text.empty() && text.front() == '#') parts.fragment = text.substr(1);
  return parts;
}

// RFC 3986 section 5.2.4: "a/./b/../c" -> "a/c".
std::string RemoveDotSegments(std::string_view input) {
  std::string output;
  auto drop_last_output_segment = [&output] {
    const std::size_t slash = output.rfind('/');
    output.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!input.empty()) {
    if (input.substr(0, 3) == "../") {
      input.remove_prefix(3);
    } else if (input.substr(0, 2) == "./") {
      input.remove_prefix(2);
    } else if (input.substr(0, 3) == "/./") {
      input.remove_prefix(2);
    } else if (input == "/.") {
      input = "/";
    } else if (input.substr(0, 4) == "/../") {
      input.remove_prefix(3);
      drop_last_output_segment();
    } else if (input == "/..") {
      input = "/";
      drop_last_output_segment();
    } else if (input == "." || input == "..") {
      input = {};
    } else {
      const std::size_t segment_end = std::min(input.find('/', 1), input.size());
      output += input.substr(0, segment_end);
      input.remove_prefix(segment_end);
    }
  }
  return output;
}

// RFC 3986 section 5.2.3: a relative path appended to the base's directory.
std::string MergePaths(const UriParts& base, std::string_view relative_path) {
  if (base.authority && base.path.empty()) return "/" + std::string(relative_path);
  const std::size_t slash = base.path.rfind('/');
  const std::string_view directory =
      slash == std::string_view::npos ? std::string_view() : base.path.substr(0, slash + 1);
  return std::string(directory) + std::string(relative_path);
}

// RFC 3986 section 5.3: `parts` with `path` in place of its own.
std::string Compose(const UriParts& parts, std::string_view path) {
  std::string uri;
  if (parts.scheme) uri += std::string(*parts.scheme) + ":";
  if (parts.authority) uri += "//" + std::string(*parts.authority);
  uri += path;
  if (parts.query) uri += "?" + std::string(*parts.query);
  if (parts.fragment) uri += "#" + std::string(*parts.fragment);
  return uri;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// RFC 3986 "pchar" plus '/' and '?', minus '%': what a fragment may hold literally.
bool IsFragmentChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:@/?").find(c) != std::string_view::npos;
}

}  // namespace

std::string ResolveUriReference(std::string_view base, std::string_view reference) {
  const UriParts ref = ParseUri(reference);
  if (ref.scheme) return Compose(ref, RemoveDotSegments(ref.path));
  const UriParts base_parts = ParseUri(base);
  UriParts target = ref;  // the reference's query and fragment, unless replaced below
  target.scheme = base_parts.scheme;
  std::string path;
  if (ref.authority) {
    path = RemoveDotSegments(ref.path);
  } else {
    target.authority = base_parts.authority;
    if (ref.path.empty()) {
      path = std::string(base_parts.path);
      if (!ref.query) target.query = base_parts.query;
    } else if (ref.path.front() == '/') {
      path = RemoveDotSegments(ref.path);
    } else {
      path = RemoveDotSegments(MergePaths(base_parts, ref.path));
    }
  }
  return Compose(target, path);
}

UriAndFragment SplitFragment(std::string_view uri) {
  const std::size_t hash = uri.find('#');
  if (hash == std::string_view::npos) return {std::string(uri), std::nullopt};
  return {std::string(uri.substr(0, hash)), std::string(uri.substr(hash + 1))};
}

std::string PercentDecode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && IsHexDigit(text[i + 1]) &&
        IsHexDigit(text[i + 2])) {
      decoded += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

std::string PercentEncodeFragment(std::string_view pointer) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : pointer) {
    if (IsFragmentChar(c)) {
      encoded += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0xF];
    }
  }
  return encoded;
}

}  // namespace outreach::schema::detail
