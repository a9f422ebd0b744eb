#include "tests/testing/file_scan.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace outreach::testing {

std::vector<std::uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFileBytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void FlipByte(const std::string& path, std::int64_t offset) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  if (!file) throw std::runtime_error("cannot open " + path);
  file.seekg(offset);
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(~byte);
  file.seekp(offset);
  file.write(&byte, 1);
  if (!file) throw std::runtime_error("cannot flip a byte of " + path);
}

std::int64_t FileSize(const std::string& path) {
  return static_cast<std::int64_t>(std::filesystem::file_size(path));
}

std::vector<std::string> FilesIn(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

int CountOccurrences(const std::string& folder, const std::vector<std::string>& needles,
                     std::vector<std::string>* hits) {
  int count = 0;
  for (const std::string& name : FilesIn(folder)) {
    const std::vector<std::uint8_t> bytes = ReadFileBytes(folder + "/" + name);
    const std::string_view haystack(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    for (const std::string& needle : needles) {
      for (auto at = haystack.find(needle); at != std::string_view::npos;
           at = haystack.find(needle, at + 1)) {
        ++count;
        if (hits != nullptr) hits->push_back(name + ": " + needle);
      }
    }
  }
  return count;
}

std::map<std::string, std::vector<std::uint8_t>> SnapshotFolder(const std::string& folder) {
  std::map<std::string, std::vector<std::uint8_t>> snapshot;
  for (const std::string& name : FilesIn(folder)) {
    snapshot[name] = ReadFileBytes(folder + "/" + name);
  }
  return snapshot;
}

}  // namespace outreach::testing
