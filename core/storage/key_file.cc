#include "core/storage/key_file.h"

#include <sodium.h>

#include <cstring>

#include "core/storage/internal/file_util.h"

namespace outreach::storage {
namespace {

// Byte layout; FORMAT.md is the reference.
constexpr std::size_t kMagicOffset = 0;
constexpr char kMagic[8] = {'O', 'U', 'T', 'R', 'S', 'K', 'E', 'Y'};
constexpr std::size_t kVersionOffset = 8;
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kKindOffset = 9;
constexpr std::size_t kOpsOffset = 12;
constexpr std::size_t kMemOffset = 16;
constexpr std::size_t kSaltOffset = 24;
constexpr std::size_t kSaltSize = crypto_pwhash_SALTBYTES;  // 16
constexpr std::size_t kIdOffset = 40;
constexpr std::size_t kNonceOffset = 56;
constexpr std::size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr std::size_t kWrappedOffset = 80;
constexpr std::size_t kWrappedSize = kDataKeySize + crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kChecksumOffset = 128;
constexpr std::size_t kChecksumSize = 32;
constexpr std::size_t kKeyFileSize = 160;
// The sealed key authenticates everything before the nonce: kind, cost, salt, database id.
constexpr std::size_t kAssociatedSize = kNonceOffset;

// Refuse absurd costs in a file, so a crafted key file cannot make unlock eat a tablet's memory
// or battery before anything is authenticated (libsodium's "sensitive" level is 1 GiB, t = 4).
constexpr std::uint32_t kMaxOpslimit = 16;
constexpr std::uint64_t kMaxMemlimit = 1ull << 30;

static_assert(kWrappedOffset + kWrappedSize == kChecksumOffset);
static_assert(kChecksumOffset + kChecksumSize == kKeyFileSize);

using KeyFileBytes = std::array<std::uint8_t, kKeyFileSize>;

void PutU32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
void PutU64(std::uint8_t* out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
std::uint32_t GetU32(const std::uint8_t* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(in[i]) << (8 * i);
  return value;
}
std::uint64_t GetU64(const std::uint8_t* in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= static_cast<std::uint64_t>(in[i]) << (8 * i);
  return value;
}

Status ValidateParams(const KdfParams& params) {
  if (params.opslimit < crypto_pwhash_OPSLIMIT_MIN || params.opslimit > kMaxOpslimit ||
      params.memlimit_bytes < crypto_pwhash_MEMLIMIT_MIN || params.memlimit_bytes > kMaxMemlimit) {
    return InvalidArgumentError("Argon2id parameters out of range");
  }
  return Status::Ok();
}

// The key-encryption key: Argon2id(passcode, salt) or BLAKE2b keyed by the raw key over the salt.
Result<SecureBytes> DeriveWrappingKey(const KeySource& source, const std::uint8_t* salt,
                                      const KdfParams& params) {
  SecureBytes wrapping_key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (source.kind() == KeySource::Kind::kPasscode) {
    if (crypto_pwhash(wrapping_key.data(), wrapping_key.size(),
                      reinterpret_cast<const char*>(source.secret().data()), source.secret().size(),
                      salt, params.opslimit, static_cast<std::size_t>(params.memlimit_bytes),
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return Status(StatusCode::kResourceExhausted, "not enough memory for Argon2id");
    }
  } else {
    crypto_generichash(wrapping_key.data(), wrapping_key.size(), salt, kSaltSize,
                       source.secret().data(), source.secret().size());
  }
  return wrapping_key;
}

void StampChecksum(KeyFileBytes& file) {
  crypto_generichash(file.data() + kChecksumOffset, kChecksumSize, file.data(), kChecksumOffset,
                     nullptr, 0);
}

// Lays out a key file sealing `data_key` for `source` with a fresh salt and nonce.
Result<KeyFileBytes> SealKeyFile(const KeySource& source, const KdfParams& params,
                                 const SecureBytes& data_key, const DatabaseId& database_id) {
  KeyFileBytes file{};
  std::memcpy(file.data() + kMagicOffset, kMagic, sizeof(kMagic));
  file[kVersionOffset] = kVersion;
  file[kKindOffset] = static_cast<std::uint8_t>(source.kind());
  PutU32(file.data() + kOpsOffset, params.opslimit);
  PutU64(file.data() + kMemOffset, params.memlimit_bytes);
  randombytes_buf(file.data() + kSaltOffset, kSaltSize);
  std::memcpy(file.data() + kIdOffset, database_id.data(), kDatabaseIdSize);
  randombytes_buf(file.data() + kNonceOffset, kNonceSize);

  OUTREACH_ASSIGN_OR_RETURN(SecureBytes wrapping_key,
                            DeriveWrappingKey(source, file.data() + kSaltOffset, params));
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      file.data() + kWrappedOffset, nullptr, data_key.data(), data_key.size(), file.data(),
      kAssociatedSize, nullptr, file.data() + kNonceOffset, wrapping_key.data());
  StampChecksum(file);
  return file;
}

Result<KeyFileBytes> ReadKeyFile(const std::string& path) {
  OUTREACH_ASSIGN_OR_RETURN(auto bytes, detail::ReadFileBounded(path, kKeyFileSize));
  if (bytes.size() >= sizeof(kMagic) && std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return InvalidArgumentError(path + " is not an outreach key file");
  }
  if (bytes.size() != kKeyFileSize) {
    return CorruptError("key file " + path + " has " + std::to_string(bytes.size()) +
                        " bytes, expected " + std::to_string(kKeyFileSize));
  }
  KeyFileBytes file{};
  std::memcpy(file.data(), bytes.data(), kKeyFileSize);
  std::uint8_t expected[kChecksumSize];
  crypto_generichash(expected, kChecksumSize, file.data(), kChecksumOffset, nullptr, 0);
  if (sodium_memcmp(expected, file.data() + kChecksumOffset, kChecksumSize) != 0) {
    return CorruptError("key file " + path + " fails its checksum");
  }
  if (file[kVersionOffset] != kVersion) {
    return FailedPreconditionError("key file " + path + " has unsupported version " +
                                   std::to_string(file[kVersionOffset]));
  }
  return file;
}

Result<UnlockedKey> OpenKeyFileBytes(const std::string& path, const KeyFileBytes& file,
                                     const KeySource& source) {
  if (file[kKindOffset + 1] != 0 || file[kKindOffset + 2] != 0) {
    return CorruptError("key file " + path + " has non-zero reserved bytes");
  }
  const auto kind = static_cast<KeySource::Kind>(file[kKindOffset]);
  if (kind != KeySource::Kind::kPasscode && kind != KeySource::Kind::kRawKey) {
    return CorruptError("key file " + path + " names an unknown key kind");
  }
  if (kind != source.kind()) {
    return InvalidArgumentError(kind == KeySource::Kind::kPasscode
                                    ? "this database is unlocked with a passcode, not a raw key"
                                    : "this database is unlocked with a raw key, not a passcode");
  }
  const KdfParams params{GetU32(file.data() + kOpsOffset), GetU64(file.data() + kMemOffset)};
  if (kind == KeySource::Kind::kPasscode && !ValidateParams(params).ok()) {
    return CorruptError("key file " + path + " has Argon2id parameters out of range");
  }
  OUTREACH_ASSIGN_OR_RETURN(SecureBytes wrapping_key,
                            DeriveWrappingKey(source, file.data() + kSaltOffset, params));
  UnlockedKey unlocked{SecureBytes(kDataKeySize), {}};
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          unlocked.data_key.data(), nullptr, nullptr, file.data() + kWrappedOffset, kWrappedSize,
          file.data(), kAssociatedSize, file.data() + kNonceOffset, wrapping_key.data()) != 0) {
    return WrongKeyError("the passcode or key does not unlock this database");
  }
  std::memcpy(unlocked.database_id.data(), file.data() + kIdOffset, kDatabaseIdSize);
  return unlocked;
}

}  // namespace

Result<UnlockedKey> CreateKeyFile(const std::string& path, const KeySource& source,
                                  const KdfParams& params) {
  if (!EnsureSodium()) return InternalError("libsodium failed to initialise");
  OUTREACH_RETURN_IF_ERROR(source.Validate());
  OUTREACH_RETURN_IF_ERROR(ValidateParams(params));
  UnlockedKey unlocked{SecureBytes::Random(kDataKeySize), {}};
  randombytes_buf(unlocked.database_id.data(), kDatabaseIdSize);
  OUTREACH_ASSIGN_OR_RETURN(auto file,
                            SealKeyFile(source, params, unlocked.data_key, unlocked.database_id));
  OUTREACH_RETURN_IF_ERROR(detail::CreateFileAtomically(path, file));
  return unlocked;
}

Result<UnlockedKey> UnlockKeyFile(const std::string& path, const KeySource& source) {
  if (!EnsureSodium()) return InternalError("libsodium failed to initialise");
  OUTREACH_RETURN_IF_ERROR(source.Validate());
  OUTREACH_ASSIGN_OR_RETURN(auto file, ReadKeyFile(path));
  return OpenKeyFileBytes(path, file, source);
}

Status RewrapKeyFile(const std::string& path, const KeySource& old_source,
                     const KeySource& new_source, const KdfParams& new_params) {
  OUTREACH_RETURN_IF_ERROR(new_source.Validate());
  OUTREACH_RETURN_IF_ERROR(ValidateParams(new_params));
  OUTREACH_ASSIGN_OR_RETURN(auto unlocked, UnlockKeyFile(path, old_source));
  OUTREACH_ASSIGN_OR_RETURN(
      auto file, SealKeyFile(new_source, new_params, unlocked.data_key, unlocked.database_id));
  return detail::ReplaceFileAtomically(path, file);
}

}  // namespace outreach::storage
