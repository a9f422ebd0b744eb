#include "sync-server/app/server_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "sync-server/store/sqlite_server_store.h"

namespace outreach::server {
namespace {

constexpr std::size_t kKeySize = 32;

Result<SecureBytes> FromHex(std::string_view hex, const char* source) {
  SecureBytes key(kKeySize);
  std::size_t length = 0;
  if (hex.size() != kKeySize * 2 ||
      sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &length, nullptr) != 0 ||
      length != kKeySize) {
    return InvalidArgumentError(std::string(source) + " must be 64 hex characters");
  }
  return key;
}

}  // namespace

std::string StorePath(const std::string& data_dir) { return data_dir + "/server.db"; }

Result<SecureBytes> LoadServerKey(const std::string& data_dir, bool create) {
  if (const char* env = std::getenv("OUTREACH_SERVER_KEY"); env != nullptr && *env != '\0') {
    return FromHex(env, "OUTREACH_SERVER_KEY");
  }
  const std::string path = data_dir + "/server.key";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    SecureBytes hex(kKeySize * 2 + 1);
    const ssize_t got = ::read(fd, hex.data(), hex.size());
    ::close(fd);
    if (got < static_cast<ssize_t>(kKeySize * 2)) return CorruptError(path + " is too short");
    return FromHex(std::string_view(reinterpret_cast<const char*>(hex.data()), kKeySize * 2),
                   "server.key");
  }
  if (!create) return NotFoundError("no server key in " + data_dir + " (run serve first)");
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return IoError("cannot create " + data_dir);
  SecureBytes key = SecureBytes::Random(kKeySize);
  SecureBytes hex(kKeySize * 2 + 1);
  sodium_bin2hex(reinterpret_cast<char*>(hex.data()), hex.size(), key.data(), key.size());
  const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) return IoError("cannot create " + path);
  const bool written = ::write(out, hex.data(), kKeySize * 2) == static_cast<ssize_t>(kKeySize * 2) &&
                       ::fsync(out) == 0;
  ::close(out);
  if (!written) return IoError("cannot write " + path);
  return key;
}

Result<std::unique_ptr<ServerStore>> OpenDataStore(const std::string& data_dir, bool create) {
  OUTREACH_ASSIGN_OR_RETURN(SecureBytes key, LoadServerKey(data_dir, create));
  if (!create && !std::filesystem::exists(StorePath(data_dir))) {
    return NotFoundError("no store in " + data_dir + " (run serve first)");
  }
  return OpenSqliteServerStore(StorePath(data_dir), std::span(key.data(), key.size()));
}

}  // namespace outreach::server
