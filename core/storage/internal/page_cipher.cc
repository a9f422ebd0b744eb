#include "core/storage/internal/page_cipher.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace outreach::storage::detail {
namespace {

constexpr int kAssociatedSize = kDatabaseIdSize + 4;
constexpr int kSubkeySize = 32;
static_assert(kNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);

// XChaCha20-Poly1305 exactly as libsodium defines it (the same bytes on disk): HChaCha20 of the
// key and the first 16 nonce bytes gives a subkey; ChaCha20-Poly1305 (IETF) under that subkey
// with nonce 0x00000000 || last 8 nonce bytes does the rest. The bulk runs in OpenSSL, whose
// AVX-512 ChaCha20 and Poly1305 are ~2.4x faster than libsodium 1.0.18's on this hardware
// (FORMAT.md, "Speed"); libsodium makes the nonce and the subkey.
class AeadContext {
 public:
  AeadContext() : seal_(NewContext(1)), open_(NewContext(0)) {}
  ~AeadContext() {
    EVP_CIPHER_CTX_free(seal_);
    EVP_CIPHER_CTX_free(open_);
  }
  AeadContext(const AeadContext&) = delete;
  AeadContext& operator=(const AeadContext&) = delete;

  // One context per thread: EVP contexts are not shareable, and a connection may move threads.
  static AeadContext& ForThisThread() {
    thread_local AeadContext context;
    return context;
  }

  bool Seal(const std::uint8_t* key, const std::uint8_t* nonce, const std::uint8_t* associated,
            const std::uint8_t* plain, std::uint8_t* sealed, std::uint8_t* tag) {
    return Run(seal_, /*encrypt=*/true, key, nonce, associated, plain, sealed, tag);
  }
  bool Open(const std::uint8_t* key, const std::uint8_t* nonce, const std::uint8_t* associated,
            const std::uint8_t* sealed, std::uint8_t* out, std::uint8_t* tag) {
    return Run(open_, /*encrypt=*/false, key, nonce, associated, sealed, out, tag);
  }

 private:
  // The cipher is bound once: binding it per page costs OpenSSL 3 a provider fetch (~1 us).
  static EVP_CIPHER_CTX* NewContext(int encrypt) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr ||
        EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr, encrypt) != 1) {
      std::abort();
    }
    return ctx;
  }

  static bool Run(EVP_CIPHER_CTX* ctx, bool encrypt, const std::uint8_t* key, const std::uint8_t* nonce,
           const std::uint8_t* associated, const std::uint8_t* in, std::uint8_t* out,
           std::uint8_t* tag) {
    std::uint8_t subkey[kSubkeySize];
    crypto_core_hchacha20(subkey, nonce, key, nullptr);
    std::uint8_t short_nonce[12] = {0, 0, 0, 0};
    std::memcpy(short_nonce + 4, nonce + 16, 8);
    int length = 0;
    bool ok = EVP_CipherInit_ex(ctx, nullptr, nullptr, subkey, short_nonce, encrypt ? 1 : 0) == 1;
    sodium_memzero(subkey, sizeof(subkey));
    if (ok && !encrypt) {
      ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagSize, tag) == 1;
    }
    ok = ok && EVP_CipherUpdate(ctx, nullptr, &length, associated, kAssociatedSize) == 1;
    ok = ok && EVP_CipherUpdate(ctx, out, &length, in, kSealedSize) == 1;
    ok = ok && EVP_CipherFinal_ex(ctx, out + length, &length) == 1;  // verifies the tag
    if (ok && encrypt) {
      ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagSize, tag) == 1;
    }
    return ok;
  }

  EVP_CIPHER_CTX* seal_;
  EVP_CIPHER_CTX* open_;
};

// Page nonces come from the kernel CSPRNG in batches: one getrandom call per 64 page writes
// instead of one per page (a syscall was ~10% of a one-row commit). A forked child must never
// reuse its parent's buffered nonces under the same key, so fork() bumps a generation that
// empties every thread's batch.
std::atomic<std::uint64_t> fork_generation{0};

void ForgetNoncesAfterFork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

class NonceBatch {
 public:
  static void Next(std::uint8_t* nonce) {
    static std::once_flag registered;
    std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, ForgetNoncesAfterFork); });
    thread_local NonceBatch batch;
    batch.Take(nonce);
  }

 private:
  static constexpr int kNonces = 64;

  void Take(std::uint8_t* nonce) {
    const std::uint64_t generation = fork_generation.load(std::memory_order_relaxed);
    if (next_ == kNonces || generation != generation_) {
      randombytes_buf(nonces_, sizeof(nonces_));
      next_ = 0;
      generation_ = generation;
    }
    std::memcpy(nonce, nonces_ + next_ * kNonceSize, kNonceSize);
    ++next_;
  }

  std::uint8_t nonces_[kNonces * kNonceSize];
  int next_ = kNonces;
  std::uint64_t generation_ = 0;
};

}  // namespace

void PageCipher::AssociatedData(std::uint32_t page_number, std::uint8_t* out) const {
  std::memcpy(out, database_id_.data(), kDatabaseIdSize);
  for (int i = 0; i < 4; ++i) {
    out[kDatabaseIdSize + i] = static_cast<std::uint8_t>(page_number >> (8 * i));
  }
}

void PageCipher::Seal(std::uint32_t page_number, const std::uint8_t* plain,
                      std::uint8_t* sealed) const {
  std::uint8_t associated[kAssociatedSize];
  AssociatedData(page_number, associated);
  std::uint8_t* nonce = sealed + kSealedSize;
  std::uint8_t* tag = nonce + kNonceSize;
  // A fresh random 192-bit nonce per write: safe however often a page is rewritten.
  NonceBatch::Next(nonce);
  if (!AeadContext::ForThisThread().Seal(key_.data(), nonce, associated, plain, sealed, tag)) {
    std::abort();  // OpenSSL cannot fail here short of memory corruption; never write plaintext
  }
}

bool PageCipher::OpenInPlace(std::uint32_t page_number, std::uint8_t* page) const {
  return Open(page_number, page, page);
}

bool PageCipher::Open(std::uint32_t page_number, const std::uint8_t* sealed,
                      std::uint8_t* out) const {
  std::uint8_t associated[kAssociatedSize];
  AssociatedData(page_number, associated);
  // Copies first: `sealed` may be `out`, and its reserved area is zeroed below.
  std::uint8_t nonce[kNonceSize];
  std::uint8_t tag[kTagSize];
  std::memcpy(nonce, sealed + kSealedSize, kNonceSize);
  std::memcpy(tag, sealed + kSealedSize + kNonceSize, kTagSize);
  const bool ok =
      AeadContext::ForThisThread().Open(key_.data(), nonce, associated, sealed, out, tag);
  // Reserved bytes read back as zeros: SQLite computed its WAL checksums with them zero.
  std::memset(out + kSealedSize, 0, kReserveBytes);
  if (!ok) {
    std::memset(out, 0, kPageSize);  // never hand out unauthenticated bytes
    return false;
  }
  return true;
}

}  // namespace outreach::storage::detail
