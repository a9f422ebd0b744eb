#include "tests/testing/test_ca.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

namespace outreach::testing {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FileDeleter {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test CA: ") + what + " failed");
}

Key NewKey() {
  Key key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EC key generation");
  return key;
}

// Adds one extension written as in openssl.cnf ("critical,CA:TRUE"). `issuer` provides the
// authority key identifier.
void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  Check(extension != nullptr, "extension");
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  Check(added == 1, "adding an extension");
}

// A certificate for `key` named `common_name`, not yet signed or extended; the issuer name is
// `issuer`'s subject, or its own when `issuer` is null (self-signed).
Cert NewCertificate(EVP_PKEY* key, const char* common_name, X509* issuer) {
  Cert cert(X509_new());
  Check(cert != nullptr, "X509_new");
  std::uint64_t serial = 0;
  Check(RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) == 1, "RAND_bytes");
  serial >>= 1;  // positive, as serials must be
  Check(X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600) != nullptr &&
            X509_set_pubkey(cert.get(), key) == 1,
        "certificate fields");
  X509_NAME* name = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                   0) == 1,
        "subject name");
  Check(X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer)
                                                           : name) == 1,
        "issuer name");
  return cert;
}

void WritePem(const std::string& path, const std::vector<X509*>& certs, EVP_PKEY* key) {
  std::unique_ptr<std::FILE, FileDeleter> file(std::fopen(path.c_str(), "w"));
  Check(file != nullptr, "opening a PEM file");
  for (X509* cert : certs) Check(PEM_write_X509(file.get(), cert) == 1, "writing a certificate");
  if (key != nullptr) {
    Check(PEM_write_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "writing a key");
  }
}

std::string PublicKeyPin(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int der_length = i2d_PUBKEY(key, &der);
  Check(der_length > 0, "encoding the public key");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(der_length), digest);
  OPENSSL_free(der);
  unsigned char base64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  const int base64_length = EVP_EncodeBlock(base64, digest, SHA256_DIGEST_LENGTH);
  return "sha256//" + std::string(reinterpret_cast<char*>(base64), base64_length);
}

}  // namespace

TestCertificates MakeTestCertificates(const std::string& directory) {
  // The extensions follow what strict X.509 checking asks for: a critical basicConstraints and a
  // subject key identifier on the CA, an authority key identifier on the server certificate.
  Key ca_key = NewKey();
  Cert ca = NewCertificate(ca_key.get(), "outreach-sync test CA", nullptr);
  AddExtension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  Check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0, "signing the CA");

  Key server_key = NewKey();
  Cert server = NewCertificate(server_key.get(), "localhost", ca.get());
  AddExtension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  AddExtension(server.get(), ca.get(), NID_subject_alt_name,
               "DNS:localhost,IP:127.0.0.1,IP:::1");
  AddExtension(server.get(), ca.get(), NID_subject_key_identifier, "hash");
  AddExtension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  Check(X509_sign(server.get(), ca_key.get(), EVP_sha256()) > 0, "signing the server certificate");

  TestCertificates files{directory + "/ca.pem", directory + "/server-cert.pem",
                         directory + "/server-key.pem", PublicKeyPin(server_key.get())};
  WritePem(files.ca_file, {ca.get()}, nullptr);
  WritePem(files.server_chain_file, {server.get(), ca.get()}, nullptr);
  WritePem(files.server_key_file, {}, server_key.get());
  return files;
}

}  // namespace outreach::testing
