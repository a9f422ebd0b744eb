#include "sync-server/http/self_signed_certificate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>

namespace outreach::server {
namespace {

template <auto kFree>
struct OpenSslFree {
  template <typename T>
  void operator()(T* object) const {
    kFree(object);
  }
};
using UniqueKey = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using UniqueCertificate = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using UniqueBio = std::unique_ptr<BIO, OpenSslFree<BIO_free_all>>;
using UniqueBignum = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;
using UniqueExtension = std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION_free>>;

constexpr int kValidityDays = 3650;
constexpr long kBackdateSeconds = 3600;  // tolerate clients whose clock runs a little behind
constexpr std::size_t kMaxCommonNameLength = 64;  // RFC 5280 ub-common-name

// Takes OpenSSL's queued error text, so the next failure does not report this one.
Status OpenSslError(const std::string& what) {
  std::array<char, 256> text{};
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return InternalError(what);
  ERR_error_string_n(code, text.data(), text.size());
  return InternalError(what + ": " + text.data());
}

bool IsIpLiteral(const std::string& name) {
  std::array<unsigned char, 16> address{};
  return ::inet_pton(AF_INET, name.c_str(), address.data()) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), address.data()) == 1;
}

// Host names, wildcards included. Nothing else reaches the OpenSSL config string built from
// them, so a name cannot smuggle in another SubjectAltName entry (", IP:...").
bool IsDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*';
  });
}

Result<std::string> SubjectAltNames(const std::vector<std::string>& names) {
  if (names.empty()) return InvalidArgumentError("a certificate needs at least one name");
  std::string entries;
  for (const std::string& name : names) {
    if (!entries.empty()) entries += ",";
    if (IsIpLiteral(name)) {
      entries += "IP:" + name;
    } else if (IsDnsName(name)) {
      entries += "DNS:" + name;
    } else {
      return InvalidArgumentError("'" + name + "' is neither an IP address nor a DNS name");
    }
  }
  return entries;
}

Status SetRandomSerial(X509* certificate) {
  // RFC 5280 4.1.2.2: positive, at most 20 octets; 128 random bits make collisions moot.
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return OpenSslError("no random serial number");
  }
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);  // positive, full length
  UniqueBignum serial(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate))) {
    return OpenSslError("cannot set the serial number");
  }
  return Status::Ok();
}

Status AddExtension(X509* certificate, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  UniqueExtension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return OpenSslError(std::string("cannot add extension ") + OBJ_nid2sn(nid));
  }
  return Status::Ok();
}

// The certificate is its own trust anchor: CA:TRUE with keyCertSign and both key identifiers
// make OpenSSL's strict verification (X509_V_FLAG_X509_STRICT) accept it as the CA file, while
// serverAuth and digitalSignature let it serve TLS as the leaf.
Status AddExtensions(X509* certificate, const std::string& subject_alt_names) {
  OUTREACH_RETURN_IF_ERROR(AddExtension(certificate, NID_basic_constraints, "critical,CA:TRUE"));
  OUTREACH_RETURN_IF_ERROR(
      AddExtension(certificate, NID_key_usage, "critical,digitalSignature,keyCertSign"));
  OUTREACH_RETURN_IF_ERROR(AddExtension(certificate, NID_ext_key_usage, "serverAuth"));
  // The subject key identifier must exist before the authority one can copy it.
  OUTREACH_RETURN_IF_ERROR(AddExtension(certificate, NID_subject_key_identifier, "hash"));
  OUTREACH_RETURN_IF_ERROR(
      AddExtension(certificate, NID_authority_key_identifier, "keyid:always"));
  return AddExtension(certificate, NID_subject_alt_name, subject_alt_names);
}

Result<UniqueCertificate> SignedCertificate(EVP_PKEY* key, const std::string& common_name,
                                            const std::string& subject_alt_names) {
  UniqueCertificate certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1) {
    return OpenSslError("cannot make a certificate");
  }
  OUTREACH_RETURN_IF_ERROR(SetRandomSerial(certificate.get()));
  if (!X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -kBackdateSeconds) ||
      !X509_time_adj_ex(X509_getm_notAfter(certificate.get()), kValidityDays, 0, nullptr) ||
      X509_set_pubkey(certificate.get(), key) != 1) {
    return OpenSslError("cannot set validity or key");
  }
  X509_NAME* subject = X509_get_subject_name(certificate.get());
  const auto* common_name_bytes = reinterpret_cast<const unsigned char*>(common_name.c_str());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, common_name_bytes, -1, -1, 0) != 1 ||
      X509_set_issuer_name(certificate.get(), subject) != 1) {
    return OpenSslError("cannot set the subject");
  }
  OUTREACH_RETURN_IF_ERROR(AddExtensions(certificate.get(), subject_alt_names));
  if (X509_sign(certificate.get(), key, EVP_sha256()) <= 0) {
    return OpenSslError("cannot sign the certificate");
  }
  return certificate;
}

// Writes a uniquely named sibling (mkostemp: mode 0600 from creation, so a key is never
// readable by others even for a moment), sets `mode`, fsyncs, and renames it over `path`.
Status WritePemFile(const std::string& path, mode_t mode, const std::function<int(BIO*)>& write) {
  std::string temp_path = path + ".tmp.XXXXXX";
  const int fd = ::mkostemp(temp_path.data(), O_CLOEXEC);
  if (fd < 0) return IoError("cannot create a file beside " + path + ": " + std::strerror(errno));
  UniqueBio bio(BIO_new_fd(fd, BIO_NOCLOSE));
  bool written = ::fchmod(fd, mode) == 0 && bio && write(bio.get()) == 1 &&
                 BIO_flush(bio.get()) == 1 && ::fsync(fd) == 0;
  const int saved_errno = errno;
  bio.reset();
  ::close(fd);
  if (written && ::rename(temp_path.c_str(), path.c_str()) != 0) written = false;
  if (!written) {
    ::unlink(temp_path.c_str());
    ERR_clear_error();
    return IoError("cannot write " + path + ": " + std::strerror(errno ? errno : saved_errno));
  }
  return Status::Ok();
}

Result<UniqueCertificate> ReadCertificate(const std::string& cert_path) {
  UniqueBio bio(BIO_new_file(cert_path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    if (errno == ENOENT) return NotFoundError("no certificate at " + cert_path);
    return IoError("cannot open " + cert_path + ": " + std::strerror(errno));
  }
  UniqueCertificate certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) {
    ERR_clear_error();
    return InvalidArgumentError("no PEM certificate in " + cert_path);
  }
  return certificate;
}

std::string HexWithColons(const unsigned char* bytes, unsigned int size) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    if (i > 0) hex += ':';
    hex += kDigits[bytes[i] >> 4];
    hex += kDigits[bytes[i] & 0x0f];
  }
  return hex;
}

Result<std::string> FingerprintOf(const X509* certificate) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (X509_digest(certificate, EVP_sha256(), digest.data(), &size) != 1) {
    return OpenSslError("cannot hash the certificate");
  }
  return HexWithColons(digest.data(), size);
}

}  // namespace

Result<std::string> MakeSelfSignedCertificate(const std::string& cert_path,
                                              const std::string& key_path,
                                              const std::vector<std::string>& dns_names_and_ips) {
  OUTREACH_ASSIGN_OR_RETURN(const std::string subject_alt_names,
                            SubjectAltNames(dns_names_and_ips));
  const std::string& first_name = dns_names_and_ips.front();
  const std::string common_name =
      first_name.size() <= kMaxCommonNameLength ? first_name : "outreach-server";
  // P-256: what every OpenSSL and libcurl build verifies (Ed25519 certificates are not).
  UniqueKey key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("cannot generate a P-256 key");
  OUTREACH_ASSIGN_OR_RETURN(UniqueCertificate certificate,
                            SignedCertificate(key.get(), common_name, subject_alt_names));
  OUTREACH_RETURN_IF_ERROR(WritePemFile(key_path, 0600, [&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }));
  OUTREACH_RETURN_IF_ERROR(WritePemFile(
      cert_path, 0644, [&](BIO* bio) { return PEM_write_bio_X509(bio, certificate.get()); }));
  return FingerprintOf(certificate.get());
}

Result<std::string> CertificateFingerprint(const std::string& cert_path) {
  OUTREACH_ASSIGN_OR_RETURN(UniqueCertificate certificate, ReadCertificate(cert_path));
  return FingerprintOf(certificate.get());
}

Result<std::string> PublicKeyPin(const std::string& cert_path) {
  OUTREACH_ASSIGN_OR_RETURN(UniqueCertificate certificate, ReadCertificate(cert_path));
  unsigned char* der = nullptr;
  const int der_size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate.get()), &der);
  if (der_size <= 0) return OpenSslError("cannot encode the public key");
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  const int hashed = EVP_Digest(der, static_cast<std::size_t>(der_size), digest.data(),
                                &digest_size, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (hashed != 1) return OpenSslError("cannot hash the public key");
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> base64{};
  const int base64_size = EVP_EncodeBlock(base64.data(), digest.data(), static_cast<int>(digest_size));
  return "sha256//" + std::string(reinterpret_cast<const char*>(base64.data()),
                                  static_cast<std::size_t>(base64_size));
}

}  // namespace outreach::server
