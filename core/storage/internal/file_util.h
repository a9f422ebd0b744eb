// Small POSIX file helpers for the storage module: whole-file reads, crash-safe replacement,
// existence checks. Errors come back as Status with the path and errno text, never contents.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace outreach::storage::detail {

enum class PathKind { kMissing, kFile, kDirectory, kOther };
PathKind KindOfPath(const std::string& path);

// Reads the whole file if it is at most `max_size` bytes; larger files read `max_size + 1` bytes
// so the caller can tell "too long" from "exact".
Result<std::vector<std::uint8_t>> ReadFileBounded(const std::string& path, std::size_t max_size);

// Writes `bytes` to `path` so that after a crash the path holds either its old content or the
// new one in full: write a uniquely named temporary sibling ("<path>.tmp.XXXXXX"), fsync it,
// rename over, fsync the folder.
Status ReplaceFileAtomically(const std::string& path, std::span<const std::uint8_t> bytes);

// The same, but never replaces: already_exists if `path` appeared meanwhile (link(2)).
Status CreateFileAtomically(const std::string& path, std::span<const std::uint8_t> bytes);

// Overwrites the regular file's bytes with random data, fsyncs, then unlinks it. Missing files
// are fine; a symbolic link is refused (it would make us overwrite whatever it points to).
Status ShredFile(const std::string& path);

// Shreds the temporary siblings ReplaceFileAtomically may have left ("<path>.tmp.*").
Status ShredTemporarySiblings(const std::string& path);

// Unlinks the file if present.
Status RemoveFileIfPresent(const std::string& path);

// fsync of the folder holding `path`, so a rename or unlink in it is durable.
Status SyncParentFolder(const std::string& path);

std::string ErrnoText(int error_number);

}  // namespace outreach::storage::detail
