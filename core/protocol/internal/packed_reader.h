// The reading side of the packed form (packed_record.h) that its decoder, its scanner and its
// containment check share: varints and length-prefixed bytes, every length checked against the
// bytes left. Throws DecodeError (model_archive.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "core/model/hlc.h"
#include "core/protocol/internal/model_archive.h"
#include "core/protocol/internal/plain_json.h"

namespace outreach::protocol::internal {

inline void Require(bool condition, const char* what) {
  if (!condition) throw DecodeError{what};
}

// Reads varints and length-prefixed bytes, every length checked against the bytes left.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : in_(bytes) {}

  std::uint64_t Varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      Require(at_ < in_.size(), "truncated");
      const auto byte = static_cast<std::uint8_t>(in_[at_++]);
      Require(shift < 63 || byte <= 1, "varint beyond 64 bits");
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw DecodeError{"varint beyond 64 bits"};
  }
  // Every element takes at least one byte, so more elements than bytes left is a lie.
  std::size_t Count() {
    const std::uint64_t count = Varint();
    Require(count <= in_.size() - at_, "count beyond the end of the record");
    return static_cast<std::size_t>(count);
  }
  std::string_view Bytes() {
    const std::size_t size = Count();
    std::string_view bytes = in_.substr(at_, size);
    at_ += size;
    return bytes;
  }
  std::string_view TextView() {
    std::string_view text = Bytes();
    Require(IsUtf8(text), "text is not UTF-8");
    return text;
  }
  model::Hlc Clock() {
    model::Hlc hlc;
    const std::uint64_t ms = Varint();
    Require(ms <= static_cast<std::uint64_t>(model::kMaxHlcPhysicalMs),
            "clock reading out of range");
    hlc.physical_ms = static_cast<std::int64_t>(ms);
    const std::uint64_t counter = Varint();
    Require(counter <= std::numeric_limits<std::uint32_t>::max(), "clock counter out of range");
    hlc.counter = static_cast<std::uint32_t>(counter);
    return hlc;
  }
  bool AtEnd() const { return at_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
};

// What decoding a state may allocate: at most 32 times its bytes (an honest one takes about 6
// to 11 times, its clock readings taking 6 bytes or more). Every name index copies a name, so
// without a bound a few bytes could make megabytes. The scanner (ScanSimpleRecord) charges
// what the decoder would, so a record it reads is one the decoder reads.
class DecodeBudget {
 public:
  explicit DecodeBudget(std::size_t bytes) : left_(32 * bytes + 65536) {}
  void Charge(std::size_t bytes) {
    Require(bytes <= left_, "record decodes beyond 32 times its size");
    left_ -= bytes;
  }

 private:
  std::size_t left_;
};

// A name table of more is forged: a record names the devices and people that wrote it.
inline constexpr std::size_t kMaxNames = 65536;

}  // namespace outreach::protocol::internal
