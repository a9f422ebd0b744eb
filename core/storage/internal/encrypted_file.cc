#include "core/storage/internal/encrypted_file.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>

namespace outreach::storage::detail {
namespace {

constexpr std::int64_t kWalHeaderSize = 32;
constexpr std::int64_t kFrameHeaderSize = kWalFrameHeaderSize;
constexpr std::int64_t kFrameSize = kWalFrameSize;

struct EncryptedFile {
  sqlite3_file base;  // must be first: SQLite sees this struct as an sqlite3_file
  sqlite3_file* real = nullptr;
  FileRole role = FileRole::kDatabase;
  std::shared_ptr<DatabaseContext> context;
  // The page number of the WAL frame header this connection wrote last: SQLite writes a frame's
  // header and its page in two calls, and the page's associated data needs the number. Only
  // writes use it (within a write transaction no other connection touches the WAL); reads
  // always take the header from the file, which another connection may have rewritten.
  std::int64_t last_frame_header_offset = -1;
  std::uint32_t last_frame_page_number = 0;
  // A rewritten frame header is never held with the buffered frames: at commit, after a page
  // of the transaction was rewritten in place, SQLite reads each frame from there on whole and
  // writes its header back alone (new checksums); the last is the commit frame's, which under
  // synchronous=NORMAL nothing follows: held, it would be lost if the app died then, and the
  // commit with it. `just_read_frame` is the frame read whole by the call before, if it was one.
  std::int64_t just_read_frame = -1;
  // Frames read ahead for a checkpoint on this connection (ReadFrameForCheckpoint): `ahead_size`
  // bytes from `ahead_offset`, good for checkpoint number `ahead_checkpoint` only.
  std::unique_ptr<std::uint8_t[]> ahead;
  std::int64_t ahead_offset = 0;
  std::int64_t ahead_size = 0;
  std::uint64_t ahead_checkpoint = 0;
  int ahead_frames = 0;  // how many frames the next read ahead brings
  // The WAL's size at this checkpoint's first read in order: 0 not asked yet, -1 unknown.
  std::int64_t ahead_wal_size = 0;
  std::int64_t last_checkpoint_frame = -1;  // the frame this checkpoint read last
  // SQLite only guarantees 8-byte alignment for the sqlite3_file memory this struct lives in.
  std::uint8_t scratch[kFrameSize];
};

static_assert(alignof(EncryptedFile) <= 8, "SQLite aligns sqlite3_file memory to 8 bytes only");

constexpr int RealOffset() {
  return static_cast<int>((sizeof(EncryptedFile) + 15) / 16 * 16);
}

EncryptedFile* Self(sqlite3_file* file) { return reinterpret_cast<EncryptedFile*>(file); }

std::uint32_t BigEndian32(const std::uint8_t* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

int RealRead(EncryptedFile* self, void* out, int amount, std::int64_t offset) {
  return self->real->pMethods->xRead(self->real, out, amount, offset);
}
int RealWrite(EncryptedFile* self, const void* data, int amount, std::int64_t offset) {
  return self->real->pMethods->xWrite(self->real, data, amount, offset);
}

// Pitfall: SQLITE_FCNTL_RESERVE_BYTES is silently ignored on a database that already has pages,
// so page 1 is checked on every write: a page size or reserve we did not choose would put
// plaintext where the nonce and tag belong.
bool PageOneHeaderIsOurs(const std::uint8_t* page) {
  const int page_size = (page[16] << 8) | page[17];
  return page_size == kPageSize && page[20] == kReserveBytes;
}

int RefuseWrite(EncryptedFile* self, std::string reason) {
  self->context->RecordRefusal(std::move(reason));
  return SQLITE_IOERR_WRITE;
}

// ---- database file ----------------------------------------------------------------------------

int ReadDatabase(EncryptedFile* self, std::uint8_t* out, int amount, std::int64_t offset) {
  while (amount > 0) {
    const std::int64_t page_index = offset / kPageSize;
    const int in_page = static_cast<int>(offset - page_index * kPageSize);
    const int chunk = std::min(amount, kPageSize - in_page);
    const bool whole_page = in_page == 0 && chunk == kPageSize;
    std::uint8_t* page = whole_page ? out : self->scratch;
    int rc = RealRead(self, page, kPageSize, page_index * kPageSize);
    if (rc == SQLITE_IOERR_SHORT_READ) {
      sqlite3_int64 size = 0;
      if (self->real->pMethods->xFileSize(self->real, &size) != SQLITE_OK) return SQLITE_IOERR_READ;
      if (size > page_index * kPageSize) {
        // Part of a page is present: the file was truncated mid-page.
        self->context->RecordPageFailure(
            {FileRole::kDatabase, static_cast<std::uint32_t>(page_index + 1), 0});
        return SQLITE_IOERR_DATA;
      }
      // Reading past the end: SQLite expects zeros and SHORT_READ (a new or growing database).
      std::memset(out, 0, static_cast<std::size_t>(amount));
      return SQLITE_IOERR_SHORT_READ;
    }
    if (rc != SQLITE_OK) return rc;
    const auto page_number = static_cast<std::uint32_t>(page_index + 1);
    if (!self->context->cipher().OpenInPlace(page_number, page)) {
      self->context->RecordPageFailure({FileRole::kDatabase, page_number, 0});
      return SQLITE_IOERR_DATA;
    }
    if (!whole_page) std::memcpy(out, page + in_page, static_cast<std::size_t>(chunk));
    out += chunk;
    offset += chunk;
    amount -= chunk;
  }
  return SQLITE_OK;
}

// After a page failed authentication the connection writes nothing more: no checkpoint may
// copy over, and no transaction may build on, data that was tampered with.
bool RefusedAfterFailure(EncryptedFile* self, int* rc) {
  if (!self->context->poisoned()) return false;
  self->context->RecordRefusal("the database is read-only after a page failed authentication");
  *rc = SQLITE_IOERR_WRITE;
  return true;
}

int WriteDatabase(EncryptedFile* self, const std::uint8_t* data, int amount, std::int64_t offset) {
  if (int rc = SQLITE_OK; RefusedAfterFailure(self, &rc)) return rc;
  if (offset % kPageSize != 0 || amount % kPageSize != 0) {
    return RefuseWrite(self, "a database write that is not whole pages");
  }
  for (int done = 0; done < amount; done += kPageSize) {
    const std::int64_t page_offset = offset + done;
    const auto page_number = static_cast<std::uint32_t>(page_offset / kPageSize + 1);
    if (self->context->in_checkpoint.load(std::memory_order_relaxed)) {
      // Checkpoint: SQLite copies the page it just read from the WAL, which ReadWal handed over
      // still sealed (same database id, same page number): write it unchanged.
      if (std::exchange(self->context->checkpoint_page_read, 0) != page_number) {
        return RefuseWrite(self, "a checkpoint wrote a page other than the one it had read");
      }
      const int rc = RealWrite(self, data + done, kPageSize, page_offset);
      if (rc != SQLITE_OK) return rc;
      continue;
    }
    if (page_number == 1 && !PageOneHeaderIsOurs(data + done)) {
      return RefuseWrite(self, "page 1 has a page size or reserve the encrypting VFS did not set");
    }
    self->context->cipher().Seal(page_number, data + done, self->scratch);
    const int rc = RealWrite(self, self->scratch, kPageSize, page_offset);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

// ---- WAL file ---------------------------------------------------------------------------------

std::int64_t FrameStart(std::int64_t offset) {
  return kWalHeaderSize + (offset - kWalHeaderSize) / kFrameSize * kFrameSize;
}
std::int64_t FrameNumber(std::int64_t frame_start) {
  return (frame_start - kWalHeaderSize) / kFrameSize + 1;
}

// The page number a WAL frame's header names, from the cache or the file.
int FramePageNumber(EncryptedFile* self, std::int64_t frame_start, std::uint32_t* page_number) {
  if (frame_start == self->last_frame_header_offset) {
    *page_number = self->last_frame_page_number;
    return SQLITE_OK;
  }
  std::uint8_t header[4];
  const int rc = RealRead(self, header, sizeof(header), frame_start);
  if (rc != SQLITE_OK) return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_READ : rc;
  *page_number = BigEndian32(header);
  return SQLITE_OK;
}

// The most frames one read ahead brings: 128 KiB - 1, the most SQLite's unix VFS writes in
// one call, which its reads assume too. The first read ahead of a run brings four; each one
// used to its end doubles the next, so scattered pairs of frames cost little extra reading.
constexpr std::int64_t kReadAheadBytes = std::int64_t{kWalFramesPerWrite} * kFrameSize;
constexpr int kFirstReadAheadFrames = 4;

// Reads the frame at `frame_start` into scratch for the running checkpoint. SQLite copies
// frames in page order, one read each; for pages written in order (an initial pull) that is
// mostly the order of the WAL, so once two frames in a row were read, one read brings the
// frame asked for and the ones after it (never for a read out of order). What was read ahead
// serves this checkpoint only, which the count of checkpoints begun tells: frames left from
// another checkpoint may be stale or half written, and a stale frame still authenticates
// (its page's associated data names the database and page, not the WAL's generation). Every
// frame this checkpoint copies (up to SQLite's mxSafeFrame) was committed before it began and
// is not written again until it ends; the frames after those, which a writer may be appending
// as they are read here, are never asked for.
int ReadFrameForCheckpoint(EncryptedFile* self, std::int64_t frame_start) {
  const std::uint64_t checkpoint = self->context->checkpoints.load(std::memory_order_relaxed);
  if (self->ahead_checkpoint != checkpoint) {
    self->ahead_checkpoint = checkpoint;
    self->ahead_size = 0;
    self->ahead_wal_size = 0;
    self->last_checkpoint_frame = -1;
  }
  const bool in_order = frame_start == self->last_checkpoint_frame + kFrameSize;
  self->last_checkpoint_frame = frame_start;
  if (frame_start >= self->ahead_offset &&
      frame_start + kFrameSize <= self->ahead_offset + self->ahead_size) {
    std::memcpy(self->scratch, self->ahead.get() + (frame_start - self->ahead_offset), kFrameSize);
    return SQLITE_OK;
  }
  const bool used_to_its_end =
      self->ahead_size > 0 && frame_start == self->ahead_offset + self->ahead_size;
  self->ahead_size = 0;
  if (in_order && self->ahead_wal_size == 0) {
    sqlite3_int64 size = 0;  // once a checkpoint: the frames it copies are all there already
    if (self->real->pMethods->xFileSize(self->real, &size) != SQLITE_OK) size = -1;
    self->ahead_wal_size = size;
  }
  const std::int64_t room = (self->ahead_wal_size - frame_start) / kFrameSize * kFrameSize;
  if (!in_order || room < 2 * kFrameSize) {
    return RealRead(self, self->scratch, kFrameSize, frame_start);
  }
  if (!self->ahead) self->ahead.reset(new (std::nothrow) std::uint8_t[kReadAheadBytes]);
  if (!self->ahead) return RealRead(self, self->scratch, kFrameSize, frame_start);
  self->ahead_frames = used_to_its_end ? std::min(2 * self->ahead_frames, kWalFramesPerWrite)
                                       : kFirstReadAheadFrames;
  const auto size =
      static_cast<int>(std::min(room, std::int64_t{self->ahead_frames} * kFrameSize));
  const int rc = RealRead(self, self->ahead.get(), size, frame_start);
  // Short: the WAL is not as long as it was (it cannot be, while this checkpoint runs); the
  // frame asked for is read alone, as without read-ahead.
  if (rc == SQLITE_IOERR_SHORT_READ) return RealRead(self, self->scratch, kFrameSize, frame_start);
  if (rc != SQLITE_OK) return rc;
  self->ahead_offset = frame_start;
  self->ahead_size = size;
  std::memcpy(self->scratch, self->ahead.get(), kFrameSize);
  return SQLITE_OK;
}

int ReadWal(EncryptedFile* self, std::uint8_t* out, int amount, std::int64_t offset) {
  if (offset < kWalHeaderSize) {
    // The WAL header: magic, page size, salts, checksums. Never content.
    if (offset + amount > kWalHeaderSize) return SQLITE_IOERR_READ;
    return RealRead(self, out, amount, offset);
  }
  const std::int64_t frame_start = FrameStart(offset);
  const std::int64_t in_frame = offset - frame_start;
  if (in_frame == 0 && amount == kFrameSize) {
    // Recovery reads whole frames, and so does a rewrite of checksums before each header it
    // writes back. A frame that fails to open comes back with a zeroed header, so SQLite's
    // frame checksum fails and recovery ends there, as at a torn tail (FORMAT.md).
    self->just_read_frame = frame_start;
    const int rc = RealRead(self, out, amount, offset);
    if (rc != SQLITE_OK) return rc;
    if (!self->context->cipher().OpenInPlace(BigEndian32(out), out + kFrameHeaderSize)) {
      std::memset(out, 0, kFrameHeaderSize);
    }
    return SQLITE_OK;
  }
  if (in_frame + amount <= kFrameHeaderSize) return RealRead(self, out, amount, offset);
  if (in_frame != kFrameHeaderSize || amount != kPageSize) return SQLITE_IOERR_READ;

  // One read of the frame header and the page: the page number comes from the file, never
  // from a cache another connection's writes could have made stale (nor, in a checkpoint,
  // from frames read ahead for another checkpoint).
  const bool checkpoint = self->context->in_checkpoint.load(std::memory_order_relaxed);
  int rc = checkpoint ? ReadFrameForCheckpoint(self, frame_start)
                      : RealRead(self, self->scratch, kFrameSize, frame_start);
  if (rc != SQLITE_OK) return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_READ : rc;
  const std::uint32_t page_number = BigEndian32(self->scratch);
  std::uint8_t* sealed = self->scratch + kFrameHeaderSize;
  // Checkpoint copy: SQLite writes what it reads here straight into the database file, and
  // WriteDatabase stores it unchanged, so hand over the sealed page. It is authenticated first
  // (opened into scratch): a damaged frame stops the checkpoint instead of overwriting the
  // database's good older page.
  if (checkpoint) std::memcpy(out, sealed, kPageSize);
  const bool ok = checkpoint ? self->context->cipher().OpenInPlace(page_number, sealed)
                             : self->context->cipher().Open(page_number, sealed, out);
  if (!ok) {
    if (checkpoint) std::memset(out, 0, kPageSize);
    self->context->RecordPageFailure({FileRole::kWal, page_number, FrameNumber(frame_start)});
    return SQLITE_IOERR_DATA;
  }
  if (checkpoint) self->context->checkpoint_page_read = page_number;
  return SQLITE_OK;
}

// The connection's WAL frames and frame header not on disk yet. Only its WAL file writes them:
// every flush below checks the role, since the database file shares the context.
WalFrameBuffer& Frames(EncryptedFile* self) { return self->context->wal_frames; }
bool HoldsHeader(EncryptedFile* self) {
  return Frames(self).held_header_offset() != WalFrameBuffer::kNoHeader;
}

WalFrameBuffer::Write WriteTo(EncryptedFile* self) {
  return [self](const std::uint8_t* bytes, int size, std::int64_t offset) {
    return RealWrite(self, bytes, size, offset);
  };
}

// After a page failed authentication nothing held back is written: it is thrown away.
bool DiscardedAfterFailure(EncryptedFile* self) {
  if (!self->context->poisoned()) return false;
  Frames(self).Discard();
  return true;
}

// Writes the connection's buffered frames, if any, in one call.
int FlushFrames(EncryptedFile* self) {
  if (self->role != FileRole::kWal || Frames(self).empty()) return SQLITE_OK;
  if (DiscardedAfterFailure(self)) return SQLITE_IOERR_WRITE;
  return Frames(self).Flush(WriteTo(self));
}

// Writes the frame header held back by WriteWal, if there is one.
int FlushHeldHeader(EncryptedFile* self) {
  if (self->role != FileRole::kWal || !HoldsHeader(self)) return SQLITE_OK;
  if (DiscardedAfterFailure(self)) return SQLITE_IOERR_WRITE;
  return Frames(self).FlushHeader(WriteTo(self));
}

// Everything written to the file but held back: the buffered frames, then the held header
// (which, when there is one, follows them).
int FlushHeld(EncryptedFile* self) {
  const int frames = FlushFrames(self);
  const int header = FlushHeldHeader(self);
  return frames != SQLITE_OK ? frames : header;
}

// FlushHeld before an operation other than a write: a failure is SQLITE_IOERR_WRITE, never
// SQLITE_FULL, which SQLite may take as the failure of one statement and let the transaction
// go on (it could not commit anyway: Frames(self).failed()).
int FlushHeldFirst(EncryptedFile* self) {
  return FlushHeld(self) == SQLITE_OK ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

// Seals `page` into the buffer behind the held header of its frame at `frame_start`, and
// writes the buffer when that frame is a commit's or the buffer is full. False: no buffer
// could be made (the caller writes the frame alone).
bool BufferFrame(EncryptedFile* self, std::uint32_t page_number, const std::uint8_t* page,
                 std::int64_t frame_start, int* rc) {
  WalFrameBuffer& frames = Frames(self);
  if (!frames.Follows(frame_start) || frames.full()) {
    if ((*rc = FlushFrames(self)) != SQLITE_OK) return true;
  }
  std::uint8_t* frame = frames.Append(frame_start);
  if (frame == nullptr) return false;
  std::memcpy(frame, frames.held_header(), kFrameHeaderSize);
  self->context->cipher().Seal(page_number, page, frame + kFrameHeaderSize);
  const bool commit_frame = BigEndian32(frame + 4) != 0;
  *rc = commit_frame || frames.full() ? FlushFrames(self) : SQLITE_OK;
  return true;
}

// Seals a page into its frame, and writes it together with the frame's header when that is
// the one held back (the usual case: SQLite writes a header, then its page).
int WriteWalPage(EncryptedFile* self, std::uint32_t page_number, const std::uint8_t* page,
                 std::int64_t offset) {
  const bool with_header = Frames(self).held_header_offset() == offset - kFrameHeaderSize;
  if (!with_header) {
    // A page alone: SQLite rewriting a page of this transaction in its frame, perhaps one
    // still buffered, which must be on disk first.
    if (const int rc = FlushHeld(self); rc != SQLITE_OK) return rc;
  }
  // The header leaves with its page, and a refused page 1 drops it: nothing is written. Its
  // bytes stay readable (held_header) until the next header is held.
  Frames(self).ReleaseHeader();
  if (page_number == 1 && !PageOneHeaderIsOurs(page)) {
    return RefuseWrite(self, "page 1 has a page size or reserve the encrypting VFS did not set");
  }
  if (int rc = SQLITE_OK;
      with_header && BufferFrame(self, page_number, page, offset - kFrameHeaderSize, &rc)) {
    return rc;
  }
  self->context->cipher().Seal(page_number, page, self->scratch + kFrameHeaderSize);
  if (!with_header) return RealWrite(self, self->scratch + kFrameHeaderSize, kPageSize, offset);
  std::memcpy(self->scratch, Frames(self).held_header(), kFrameHeaderSize);
  return RealWrite(self, self->scratch, kFrameSize, offset - kFrameHeaderSize);
}

int WriteWal(EncryptedFile* self, const std::uint8_t* data, int amount, std::int64_t offset) {
  const std::int64_t rewrite_of = std::exchange(self->just_read_frame, -1);
  if (int rc = SQLITE_OK; RefusedAfterFailure(self, &rc)) return rc;
  // Frames of this transaction were lost: nothing after them may reach a commit.
  if (Frames(self).failed()) return SQLITE_IOERR_WRITE;
  const std::int64_t frame_start = FrameStart(offset);
  const std::int64_t in_frame = offset - frame_start;
  const bool page_of_held_frame = offset >= kWalHeaderSize && in_frame == kFrameHeaderSize &&
                                  frame_start == Frames(self).held_header_offset();
  // The header of the frame after the buffered ones keeps them buffered; anything else
  // (the WAL header, a header rewritten, a page alone) finds them on disk.
  const bool next_header = offset >= kWalHeaderSize && in_frame == 0 &&
                           (amount == kFrameHeaderSize || amount == kFrameSize) &&
                           frame_start != rewrite_of && Frames(self).Follows(frame_start);
  if (!page_of_held_frame) {
    const int rc = next_header ? FlushHeldHeader(self) : FlushHeld(self);
    if (rc != SQLITE_OK) return rc;
  }
  if (offset < kWalHeaderSize) {
    if (offset != 0 || amount != kWalHeaderSize || BigEndian32(data + 8) != kPageSize) {
      return RefuseWrite(self, "a WAL header for another page size");
    }
    self->last_frame_header_offset = -1;  // a new header starts a new generation of frames
    return RealWrite(self, data, amount, offset);
  }
  if (in_frame == 0 && (amount == kFrameHeaderSize || amount == kFrameSize)) {
    self->last_frame_header_offset = frame_start;
    self->last_frame_page_number = BigEndian32(data);
    if (frame_start == rewrite_of) {
      const int rc = RealWrite(self, data, kFrameHeaderSize, offset);
      if (rc != SQLITE_OK || amount == kFrameHeaderSize) return rc;
      return WriteWalPage(self, self->last_frame_page_number, data + kFrameHeaderSize,
                          offset + kFrameHeaderSize);
    }
    Frames(self).HoldHeader(data, frame_start);
    if (amount == kFrameHeaderSize) return SQLITE_OK;
    return WriteWalPage(self, self->last_frame_page_number, data + kFrameHeaderSize,
                        offset + kFrameHeaderSize);
  }
  if (in_frame == kFrameHeaderSize && amount == kPageSize) {
    std::uint32_t page_number = 0;
    const int rc = FramePageNumber(self, frame_start, &page_number);
    if (rc != SQLITE_OK) return rc;
    return WriteWalPage(self, page_number, data, offset);
  }
  // SQLite 3.40 never does this with POWERSAFE_OVERWRITE set; refuse rather than guess.
  return RefuseWrite(self, "a WAL write that is not a header, a frame header or a whole page");
}

// ---- sqlite3_io_methods -----------------------------------------------------------------------

int FileClose(sqlite3_file* file) {
  EncryptedFile* self = Self(file);
  int rc = FlushHeldFirst(self);
  if (self->real->pMethods != nullptr) {
    const int closed = self->real->pMethods->xClose(self->real);
    if (rc == SQLITE_OK) rc = closed;
  }
  self->~EncryptedFile();
  file->pMethods = nullptr;
  return rc;
}

int FileRead(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  EncryptedFile* self = Self(file);
  if (const int rc = FlushHeldFirst(self); rc != SQLITE_OK) return rc;
  auto* bytes = static_cast<std::uint8_t*>(out);
  return self->role == FileRole::kDatabase ? ReadDatabase(self, bytes, amount, offset)
                                           : ReadWal(self, bytes, amount, offset);
}

int FileWrite(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  EncryptedFile* self = Self(file);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  return self->role == FileRole::kDatabase ? WriteDatabase(self, bytes, amount, offset)
                                           : WriteWal(self, bytes, amount, offset);
}

int FileTruncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = SQLITE_OK; RefusedAfterFailure(Self(file), &rc)) return rc;
  if (const int rc = FlushHeldFirst(Self(file)); rc != SQLITE_OK) return rc;
  return Self(file)->real->pMethods->xTruncate(Self(file)->real, size);
}
int FileSync(sqlite3_file* file, int flags) {
  if (const int rc = FlushHeldFirst(Self(file)); rc != SQLITE_OK) return rc;
  return Self(file)->real->pMethods->xSync(Self(file)->real, flags);
}
int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = FlushHeldFirst(Self(file)); rc != SQLITE_OK) return rc;
  // Sealing keeps sizes: nonce and tag live in each page's reserved bytes.
  return Self(file)->real->pMethods->xFileSize(Self(file)->real, size);
}
int FileLock(sqlite3_file* file, int level) {
  return Self(file)->real->pMethods->xLock(Self(file)->real, level);
}
int FileUnlock(sqlite3_file* file, int level) {
  return Self(file)->real->pMethods->xUnlock(Self(file)->real, level);
}
int FileCheckReservedLock(sqlite3_file* file, int* out) {
  return Self(file)->real->pMethods->xCheckReservedLock(Self(file)->real, out);
}

// Pragmas that would put plaintext on disk or break the page layout are refused here, at the
// VFS, so no connection can switch them whatever SQL it runs.
int CheckPragma(EncryptedFile* self, char** args) {
  const char* name = args[1];
  const char* value = args[2];
  if (value == nullptr) return SQLITE_NOTFOUND;  // reading a setting is harmless
  const auto is = [](const char* a, const char* b) { return sqlite3_stricmp(a, b) == 0; };
  const char* refusal = nullptr;
  if (is(name, "journal_mode")) {
    const bool creating_step = self->context->creating.load() && is(value, "memory");
    if (!is(value, "wal") && !creating_step) {
      refusal = "journal_mode: only WAL is allowed (a rollback journal would hold plaintext)";
    }
  } else if (is(name, "temp_store")) {
    if (!is(value, "memory") && !is(value, "2")) refusal = "temp_store: only MEMORY is allowed";
  } else if (is(name, "mmap_size")) {
    if (!is(value, "0")) refusal = "mmap_size: memory-mapped reads would bypass decryption";
  } else if (is(name, "page_size")) {
    if (!is(value, "4096")) refusal = "page_size: the encrypted layout uses 4096-byte pages";
  } else if (is(name, "locking_mode")) {
    // In EXCLUSIVE mode SQLite takes and releases the WAL locks without xShmLock: the
    // release of the write lock, which ends a transaction's buffered frames (vfs_context.h),
    // would never reach the VFS.
    if (!is(value, "normal")) refusal = "locking_mode: only NORMAL is allowed";
  } else if (is(name, "temp_store_directory") || is(name, "data_store_directory")) {
    refusal = "temp files are never written";
  }
  if (refusal == nullptr) return SQLITE_NOTFOUND;
  args[0] = sqlite3_mprintf("refused by the encrypting VFS: %s", refusal);
  self->context->RecordRefusal(refusal);
  return SQLITE_ERROR;
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  EncryptedFile* self = Self(file);
  if (const int rc = FlushHeldFirst(self); rc != SQLITE_OK) return rc;
  switch (op) {
    case SQLITE_FCNTL_CKPT_START:
      self->context->checkpoint_page_read = 0;
      self->context->checkpoints.fetch_add(1);
      self->context->in_checkpoint.store(true);
      return SQLITE_OK;
    case SQLITE_FCNTL_CKPT_DONE:
      self->context->in_checkpoint.store(false);
      return SQLITE_OK;
    case SQLITE_FCNTL_PRAGMA: {
      const int rc = CheckPragma(self, static_cast<char**>(arg));
      if (rc != SQLITE_NOTFOUND) return rc;
      break;
    }
    case SQLITE_FCNTL_MMAP_SIZE:
      // Never memory-map: reads must pass through ReadDatabase.
      if (arg != nullptr) *static_cast<sqlite3_int64*>(arg) = 0;
      return SQLITE_OK;
    default:
      break;
  }
  return self->real->pMethods->xFileControl(self->real, op, arg);
}

int FileSectorSize(sqlite3_file* file) {
  return Self(file)->real->pMethods->xSectorSize(Self(file)->real);
}

int FileDeviceCharacteristics(sqlite3_file* file) {
  int flags = Self(file)->real->pMethods->xDeviceCharacteristics(Self(file)->real);
  // Whole-page writes only: no atomic-write shortcuts, and no WAL padding (POWERSAFE_OVERWRITE)
  // so every WAL write is a header or a whole page.
  flags &= ~(SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_ATOMIC512 | SQLITE_IOCAP_ATOMIC1K |
             SQLITE_IOCAP_ATOMIC2K | SQLITE_IOCAP_ATOMIC4K | SQLITE_IOCAP_ATOMIC8K |
             SQLITE_IOCAP_ATOMIC16K | SQLITE_IOCAP_ATOMIC32K | SQLITE_IOCAP_ATOMIC64K |
             SQLITE_IOCAP_BATCH_ATOMIC);
  return flags | SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

int FileShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return Self(file)->real->pMethods->xShmMap(Self(file)->real, region, size, extend, out);
}
int FileShmLock(sqlite3_file* file, int offset, int count, int flags) {
  // Releasing shared-memory lock 0 (WAL_WRITE_LOCK) ends the connection's write transaction:
  // its commit wrote its frames, so any still buffered were rolled back. They are dropped,
  // never written: from now on another connection may write its own frames where they go.
  if (offset == 0 && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE)) {
    Self(file)->context->wal_frames.EndTransaction();
  }
  return Self(file)->real->pMethods->xShmLock(Self(file)->real, offset, count, flags);
}
void FileShmBarrier(sqlite3_file* file) {
  Self(file)->real->pMethods->xShmBarrier(Self(file)->real);
}
int FileShmUnmap(sqlite3_file* file, int delete_flag) {
  return Self(file)->real->pMethods->xShmUnmap(Self(file)->real, delete_flag);
}

// Version 2: shared memory for WAL, but no xFetch, so SQLite never memory-maps the file.
const sqlite3_io_methods kIoMethods = {
    2,
    FileClose,
    FileRead,
    FileWrite,
    FileTruncate,
    FileSync,
    FileSize,
    FileLock,
    FileUnlock,
    FileCheckReservedLock,
    FileControl,
    FileSectorSize,
    FileDeviceCharacteristics,
    FileShmMap,
    FileShmLock,
    FileShmBarrier,
    FileShmUnmap,
    nullptr,
    nullptr,
};

}  // namespace

int EncryptedFileSize(const sqlite3_vfs* base) { return RealOffset() + base->szOsFile; }

int OpenEncryptedFile(sqlite3_vfs* base, sqlite3_filename name, sqlite3_file* file, int flags,
                      int* out_flags, FileRole role, std::shared_ptr<DatabaseContext> context) {
  auto* self = new (file) EncryptedFile();
  std::uint8_t* real = reinterpret_cast<std::uint8_t*>(file) + RealOffset();
  self->real = reinterpret_cast<sqlite3_file*>(real);
  std::memset(self->real, 0, static_cast<std::size_t>(base->szOsFile));
  self->role = role;
  self->context = std::move(context);
  const int rc = base->xOpen(base, name, self->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite calls xClose only when pMethods is set; the base may have set its own.
    if (self->real->pMethods != nullptr) self->real->pMethods->xClose(self->real);
    self->~EncryptedFile();
    file->pMethods = nullptr;
    return rc;
  }
  if (self->real->pMethods->iVersion < 2) {
    self->real->pMethods->xClose(self->real);
    self->~EncryptedFile();
    file->pMethods = nullptr;
    return SQLITE_CANTOPEN;  // a WAL needs shared memory
  }
  file->pMethods = &kIoMethods;
  return SQLITE_OK;
}

}  // namespace outreach::storage::detail
