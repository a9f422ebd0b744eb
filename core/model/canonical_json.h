// Canonical JSON: one byte sequence per value, so replicas can compare and hash records (I1).
// Object keys sorted (bytewise), no whitespace, integers as integers, a float with an integral
// value within +-2^53 written as that integer, other floats in the shortest form that reads
// back exactly, -0 as 0, strings as UTF-8 with JSON's minimal escapes.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace outreach::model {

std::string CanonicalJson(const nlohmann::json& value);

// BLAKE2b-256 of CanonicalJson(value).
std::array<std::uint8_t, 32> CanonicalHash(const nlohmann::json& value);

}  // namespace outreach::model
