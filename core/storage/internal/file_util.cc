#include "core/storage/internal/file_util.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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

namespace {

// Writes and syncs a fresh "<path>.tmp.XXXXXX"; returns its name.
Result<std::string> WriteTemporarySibling(const std::string& path,
                                          std::span<const std::uint8_t> bytes) {
  std::string temp_path = path + ".tmp.XXXXXX";
  const int fd = ::mkostemp(temp_path.data(), O_CLOEXEC);  // 0600, O_EXCL: never shared
  if (fd < 0) return IoError("cannot create a temporary file beside " + path + ": " + ErrnoText(errno));
  Status status = WriteAll(fd, bytes.data(), bytes.size(), temp_path);
  if (status.ok() && ::fsync(fd) != 0) {
    status = IoError("fsync of " + temp_path + " failed: " + ErrnoText(errno));
  }
  ::close(fd);
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  return temp_path;
}

}  // namespace

Status ReplaceFileAtomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  OUTREACH_ASSIGN_OR_RETURN(std::string temp_path, WriteTemporarySibling(path, bytes));
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp_path.c_str());
    return IoError("cannot rename " + temp_path + " to " + path + ": " + ErrnoText(saved));
  }
  return SyncParentFolder(path);
}

Status CreateFileAtomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  OUTREACH_ASSIGN_OR_RETURN(std::string temp_path, WriteTemporarySibling(path, bytes));
  const int rc = ::link(temp_path.c_str(), path.c_str());
  const int saved = errno;
  ::unlink(temp_path.c_str());
  if (rc != 0) {
    if (saved == EEXIST) return AlreadyExistsError(path + " already exists");
    return IoError("cannot create " + path + ": " + ErrnoText(saved));
  }
  return SyncParentFolder(path);
}

Status ShredFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    if (errno == ELOOP) return FailedPreconditionError(path + " is a symbolic link; not wiped");
    return IoError("cannot open " + path + " to wipe it: " + ErrnoText(errno));
  }
  struct stat info {};
  Status status;
  if (::fstat(fd, &info) != 0) {
    status = IoError("cannot stat " + path + ": " + ErrnoText(errno));
  } else if (!S_ISREG(info.st_mode)) {
    status = FailedPreconditionError(path + " is not a regular file; not wiped");
  }
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

Status ShredTemporarySiblings(const std::string& path) {
  const std::filesystem::path target(path);
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code error;
  std::filesystem::directory_iterator entries(
      target.has_parent_path() ? target.parent_path() : std::filesystem::path("."), error);
  if (error) return IoError("cannot list the folder of " + path + ": " + error.message());
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) OUTREACH_RETURN_IF_ERROR(ShredFile(entry.path().string()));
  }
  return Status::Ok();
}

Status RemoveFileIfPresent(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return IoError("cannot remove " + path + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

}  // namespace outreach::storage::detail
