#include "core/protocol/internal/plain_json.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace outreach::protocol::internal {
namespace {

bool WritePlainScalar(const model::Json& value, bool (*is_utf8)(std::string_view),
                      std::string& out) {
  if (value.is_boolean()) {
    out += value.get<bool>() ? "true" : "false";
    return true;
  }
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (!IsPlainAscii(text) && (!IsPlainText(text) || !is_utf8(text))) return false;
  out.append(1, '"').append(text).append(1, '"');
  return true;
}

// Reads a quoted plain string at `at`; moves `at` past its closing quote.
bool ReadPlainString(std::string_view text, std::size_t& at, std::string_view& inside) {
  if (at >= text.size() || text[at] != '"') return false;
  const std::size_t close = text.find('"', at + 1);
  if (close == std::string_view::npos) return false;
  inside = text.substr(at + 1, close - at - 1);
  if (!IsPlainText(inside)) return false;  // a backslash: an escape, left to the parser
  at = close + 1;
  return true;
}

bool ReadPlainScalar(std::string_view text, std::size_t& at, model::Json& value) {
  for (const std::string_view word : {std::string_view("true"), std::string_view("false")}) {
    if (text.substr(at, word.size()) == word) {
      value = word == "true";
      at += word.size();
      return true;
    }
  }
  std::string_view inside;
  if (!ReadPlainString(text, at, inside)) return false;
  value = std::string(inside);
  return true;
}

}  // namespace

namespace {

constexpr std::uint64_t kEachByte = 0x0101010101010101ULL;
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// Word's first byte is its lowest: DumpedStringEnd finds a byte from its mask's lowest bit.
static_assert(std::endian::native == std::endian::little, "bytes are read as little-endian words");

std::uint64_t Word(const char* at) {
  std::uint64_t word;
  std::memcpy(&word, at, sizeof word);
  return word;
}

// The high bit of each byte of `word` below `n` (n <= 128). Zero exactly when there is none;
// otherwise its lowest set bit is the first such byte's (a borrow may flag bytes after it,
// never before: the borrow comes out of a byte below `n`). EqualMask: bytes equal to `c`.
constexpr std::uint64_t BelowMask(std::uint64_t word, std::uint64_t n) {
  return (word - kEachByte * n) & ~word & kHighBits;
}
constexpr std::uint64_t EqualMask(std::uint64_t word, std::uint64_t c) {
  return BelowMask(word ^ (kEachByte * c), 1);
}
// The bytes of `word` dump() escapes, as BelowMask marks them: a quote, a backslash or a
// control character.
constexpr std::uint64_t EscapedMask(std::uint64_t word) {
  return BelowMask(word, 0x20) | EqualMask(word, '"') | EqualMask(word, '\\');
}
constexpr bool PlainWord(std::uint64_t word) { return EscapedMask(word) == 0; }
// "\n AAAAAA": the borrow out of the newline flags the space after it too, never a byte
// before. "A\AAAAAA": the backslash, alone. "AAAAAAAA": nothing.
static_assert(EscapedMask(0x414141414141200AULL) == 0x8080);
static_assert(EscapedMask(0x4141414141415C41ULL) == 0x8000);
static_assert(EscapedMask(0x4141414141414141ULL) == 0);

}  // namespace

// Notes run to hundreds of characters: eight at a time until one might need a look.
bool IsPlainText(std::string_view text) {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    if (!PlainWord(Word(text.data() + i))) return false;
  }
  for (; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '"' || byte == '\\' || byte < 0x20) return false;
  }
  return true;
}

bool IsPlainAscii(std::string_view text) {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    const std::uint64_t word = Word(text.data() + i);
    if ((word & kHighBits) != 0 || !PlainWord(word)) return false;
  }
  for (; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80 || byte == '"' || byte == '\\' || byte < 0x20) return false;
  }
  return true;
}

bool IsUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    // ASCII, eight bytes at a time.
    if (i + 8 <= text.size() && (Word(text.data() + i) & kHighBits) == 0) {
      i += 8;
      continue;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t point = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xE0) == 0xC0) {
      length = 2;
      point = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      point = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      point = byte & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      point = (point << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (point < kSmallest[length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

bool WritePlainJson(const model::Json& value, bool (*is_utf8)(std::string_view), std::string& out) {
  if (!value.is_object()) return WritePlainScalar(value, is_utf8, out);
  const std::size_t start = out.size();
  out += '{';
  // In the object's own (sorted) order, as dump() writes it.
  for (const auto& [key, member] : value.items()) {
    if (out.size() > start + 1) out += ',';
    const bool plain = IsPlainAscii(key) || (IsPlainText(key) && is_utf8(key));
    if (plain) out.append(1, '"').append(key).append("\":");
    if (!plain || !WritePlainScalar(member, is_utf8, out)) {
      out.resize(start);
      return false;
    }
  }
  out += '}';
  return true;
}

bool ReadPlainJson(std::string_view text, model::Json& value) {
  std::size_t at = 0;
  if (text.empty() || text.front() != '{') {
    model::Json scalar;
    if (!ReadPlainScalar(text, at, scalar) || at != text.size()) return false;
    value = std::move(scalar);
    return true;
  }
  model::Json object = model::Json::object();
  at = 1;
  if (text == "{}") {
    value = std::move(object);
    return true;
  }
  while (true) {
    std::string_view key;
    if (!ReadPlainString(text, at, key) || at >= text.size() || text[at] != ':') return false;
    ++at;
    model::Json member;
    if (!ReadPlainScalar(text, at, member)) return false;
    // A repeated key: the parser's rule (the last one wins) applies, not this reader's.
    if (!object.emplace(std::string(key), std::move(member)).second) return false;
    if (at >= text.size()) return false;
    if (text[at] == '}') break;
    if (text[at] != ',') return false;
    ++at;
  }
  if (at + 1 != text.size()) return false;  // trailing bytes after the object
  value = std::move(object);
  return true;
}

namespace {

constexpr std::size_t kNotDumped = std::string_view::npos;

// The end of the string literal at `at`, as dump() writes it: no raw control character, quote
// or backslash; the short escapes; a u00xx escape (lowercase) for other control characters.
// kNotDumped if it is not one. `escaped`, if given, is set when it holds an escape.
std::size_t DumpedStringEnd(std::string_view text, std::size_t at, bool* escaped) {
  if (at >= text.size() || text[at] != '"') return kNotDumped;
  for (++at; at < text.size();) {
    // A note's plain stretches, eight bytes at a time (a device reads every pulled text
    // here), and then straight to the first byte that may end or escape (little-endian: the
    // lowest bit marked is the first byte's). Wider strides gained nothing measurable: most
    // texts are short (ids, times).
    while (at + 8 <= text.size()) {
      const std::uint64_t escaped_bytes = EscapedMask(Word(text.data() + at));
      if (escaped_bytes != 0) {
        at += static_cast<std::size_t>(std::countr_zero(escaped_bytes)) / 8;
        break;
      }
      at += 8;
    }
    if (at >= text.size()) break;
    const auto c = static_cast<unsigned char>(text[at]);
    if (c == '"') return at + 1;
    if (c < 0x20) return kNotDumped;
    if (c != '\\') {
      ++at;
      continue;
    }
    if (escaped != nullptr) *escaped = true;
    if (at + 1 >= text.size()) return kNotDumped;
    const char kind = text[at + 1];
    if (std::string_view("\"\\bfnrt").find(kind) != std::string_view::npos) {
      at += 2;
      continue;
    }
    if (kind != 'u' || at + 6 > text.size() || text.substr(at + 2, 2) != "00") return kNotDumped;
    const char high = text[at + 4];
    const char low = text[at + 5];
    int code = 0;
    if (high == '0' || high == '1') code = (high - '0') * 16; else return kNotDumped;
    if (low >= '0' && low <= '9') code += low - '0';
    else if (low >= 'a' && low <= 'f') code += low - 'a' + 10;
    else return kNotDumped;
    // Those with a short escape are written short.
    if (code == 0x08 || code == 0x09 || code == 0x0A || code == 0x0C || code == 0x0D) {
      return kNotDumped;
    }
    at += 6;
  }
  return kNotDumped;
}

// The end of a boolean or dumped string at `at`; kNotDumped if neither.
std::size_t FlatMemberEnd(std::string_view text, std::size_t at, bool* is_string) {
  *is_string = false;
  if (text.substr(at, 4) == "true") return at + 4;
  if (text.substr(at, 5) == "false") return at + 5;
  *is_string = true;
  return DumpedStringEnd(text, at, nullptr);
}

}  // namespace

std::optional<DumpedFlatValue> ReadDumpedFlatValue(std::string_view text) {
  if (!IsUtf8(text)) return std::nullopt;
  bool is_string = false;
  if (FlatMemberEnd(text, 0, &is_string) == text.size()) return DumpedFlatValue{};
  if (text.empty() || text.front() != '{') return std::nullopt;
  DumpedFlatValue value;
  value.object = true;
  if (text == "{}") return value;
  std::string_view previous;
  // Under the node limit of the full reader (model::JsonWithinLimits), so it never refuses
  // what this takes.
  constexpr std::size_t kMaxMembers = std::size_t{1} << 20;
  for (std::size_t at = 1, members = 0;; ++members) {
    if (members == kMaxMembers) return std::nullopt;
    bool escaped = false;
    const std::size_t key_end = DumpedStringEnd(text, at, &escaped);
    if (key_end == kNotDumped || escaped) return std::nullopt;
    const std::string_view key = text.substr(at + 1, key_end - at - 2);
    // dump() writes an object's keys in order, each once.
    if (at > 1 && !(previous < key)) return std::nullopt;
    previous = key;
    if (key_end >= text.size() || text[key_end] != ':') return std::nullopt;
    at = FlatMemberEnd(text, key_end + 1, &is_string);
    if (at == kNotDumped || at >= text.size()) return std::nullopt;
    if (key == "id" && is_string) value.string_id = true;
    if (key == "supersedes") value.supersedes = true;
    if (text[at] == '}') {
      if (at + 1 != text.size()) return std::nullopt;
      return value;
    }
    if (text[at] != ',') return std::nullopt;
    ++at;
  }
}

}  // namespace outreach::protocol::internal
