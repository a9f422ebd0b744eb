#include "core/storage/internal/file_util.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace outreach::storage::detail {
namespace {

std::string ParentFolder(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, const std::uint8_t* data, std::size_t size, const std::string& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t written = ::write(fd, data + done, size - done);
    if (written < 0) {
      if (errno == EINTR) continue;
      return IoError("write to " + path + " failed: " + ErrnoText(errno));
    }
    done += static_cast<std::size_t>(written);
  }
  return Status::Ok();
}

}  // namespace

std::string ErrnoText(int error_number) { return std::strerror(error_number); }

PathKind KindOfPath(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return PathKind::kMissing;
  if (S_ISREG(info.st_mode)) return PathKind::kFile;
  if (S_ISDIR(info.st_mode)) return PathKind::kDirectory;
  return PathKind::kOther;
}

Result<std::vector<std::uint8_t>> ReadFileBounded(const std::string& path, std::size_t max_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("no file at " + path);
    return IoError("cannot open " + path + ": " + ErrnoText(errno));
  }
  std::vector<std::uint8_t> bytes(max_size + 1);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      return IoError("cannot read " + path + ": " + ErrnoText(saved));
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  bytes.resize(done);
  return bytes;
}

Status SyncParentFolder(const std::string& path) {
  const std::string folder = ParentFolder(path);
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open folder " + folder + ": " + ErrnoText(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return IoError("fsync of folder " + folder + " failed: " + ErrnoText(saved));
  return Status::Ok();
}

Status ReplaceFileAtomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  const std::string temp_path = path + ".tmp";
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create " + temp_path + ": " + ErrnoText(errno));
  Status status = WriteAll(fd, bytes.data(), bytes.size(), temp_path);
  if (status.ok() && ::fsync(fd) != 0) {
    status = IoError("fsync of " + temp_path + " failed: " + ErrnoText(errno));
  }
  ::close(fd);
  if (status.ok() && ::rename(temp_path.c_str(), path.c_str()) != 0) {
    status = IoError("cannot rename " + temp_path + " to " + path + ": " + ErrnoText(errno));
  }
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  return SyncParentFolder(path);
}

Status ShredFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return IoError("cannot open " + path + " to wipe it: " + ErrnoText(errno));
  }
  struct stat info {};
  Status status;
  if (::fstat(fd, &info) != 0) status = IoError("cannot stat " + path + ": " + ErrnoText(errno));
  std::vector<std::uint8_t> noise(4096);
  off_t offset = 0;
  while (status.ok() && offset < info.st_size) {
    const auto chunk = static_cast<std::size_t>(
        std::min<off_t>(static_cast<off_t>(noise.size()), info.st_size - offset));
    randombytes_buf(noise.data(), chunk);
    if (::pwrite(fd, noise.data(), chunk, offset) != static_cast<ssize_t>(chunk)) {
      status = IoError("cannot overwrite " + path + ": " + ErrnoText(errno));
    }
    offset += static_cast<off_t>(chunk);
  }
  if (status.ok() && ::fsync(fd) != 0) {
    status = IoError("fsync of " + path + " failed: " + ErrnoText(errno));
  }
  ::close(fd);
  OUTREACH_RETURN_IF_ERROR(status);
  return RemoveFileIfPresent(path);
}

Status RemoveFileIfPresent(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return IoError("cannot remove " + path + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

}  // namespace outreach::storage::detail
