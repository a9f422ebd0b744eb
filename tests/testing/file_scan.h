// Helpers that look at the bytes on disk, as someone holding a stolen tablet would.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace outreach::testing {

std::vector<std::uint8_t> ReadFileBytes(const std::string& path);
void WriteFileBytes(const std::string& path, const std::vector<std::uint8_t>& bytes);
// Flips every bit of the byte at `offset`.
void FlipByte(const std::string& path, std::int64_t offset);
std::int64_t FileSize(const std::string& path);

// Names of the regular files in `folder`, sorted.
std::vector<std::string> FilesIn(const std::string& folder);

// How many times any of `needles` occurs in any regular file of `folder`; `hits` (if given)
// receives "file: needle" lines.
int CountOccurrences(const std::string& folder, const std::vector<std::string>& needles,
                     std::vector<std::string>* hits = nullptr);

// File name -> full content, to check that an operation changed nothing.
std::map<std::string, std::vector<std::uint8_t>> SnapshotFolder(const std::string& folder);

}  // namespace outreach::testing
