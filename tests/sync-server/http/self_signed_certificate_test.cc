// MakeSelfSignedCertificate, CertificateFingerprint and PublicKeyPin: file modes, formats, and a
// certificate that OpenSSL's strict verification accepts as its own trust anchor for its names.
#include "sync-server/http/self_signed_certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::server {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;
using ::outreach::testing::TempDir;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kFingerprintPattern[] = "([0-9A-F][0-9A-F]:){31}[0-9A-F][0-9A-F]";

struct CertificateFiles {
  TempDir dir;
  std::string cert = dir.File("server.crt");
  std::string key = dir.File("server.key");
};

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

std::unique_ptr<X509, decltype(&X509_free)> LoadCertificate(const std::string& path) {
  std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "r"), &std::fclose);
  X509* certificate = file ? PEM_read_X509(file.get(), nullptr, nullptr, nullptr) : nullptr;
  return {certificate, &X509_free};
}

// Verifies the certificate against a store holding only itself, as a device's CA file does.
int VerifyAsOwnTrustAnchor(X509* certificate) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  X509_STORE_add_cert(store.get(), certificate);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                           &X509_STORE_CTX_free);
  X509_STORE_CTX_init(context.get(), store.get(), certificate, nullptr);
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_SERVER);
  X509_STORE_CTX_set_flags(context.get(), X509_V_FLAG_X509_STRICT);
  if (X509_verify_cert(context.get()) != 1) return X509_STORE_CTX_get_error(context.get());
  return X509_V_OK;
}

TEST(SelfSignedCertificateTest, KeyFileIsOwnerOnlyAndCertificateIsReadable) {
  CertificateFiles files;
  ASSERT_THAT(MakeSelfSignedCertificate(files.cert, files.key, {"localhost"}), IsOk());
  EXPECT_EQ(ModeOf(files.key), 0600u);
  EXPECT_EQ(ModeOf(files.cert), 0644u);
}

TEST(SelfSignedCertificateTest, ReturnsTheFingerprintCertificateFingerprintReads) {
  CertificateFiles files;
  ASSERT_OK_AND_ASSIGN(const std::string made,
                       MakeSelfSignedCertificate(files.cert, files.key, {"localhost"}));
  EXPECT_THAT(made, MatchesRegex(kFingerprintPattern));
  ASSERT_OK_AND_ASSIGN(const std::string read, CertificateFingerprint(files.cert));
  EXPECT_EQ(read, made);
}

TEST(SelfSignedCertificateTest, PublicKeyPinIsBase64OfSha256InCurlFormat) {
  CertificateFiles files;
  ASSERT_THAT(MakeSelfSignedCertificate(files.cert, files.key, {"localhost"}), IsOk());
  ASSERT_OK_AND_ASSIGN(const std::string pin, PublicKeyPin(files.cert));
  // 32 bytes of SHA-256 are 44 base64 characters, the last one padding.
  EXPECT_THAT(pin, MatchesRegex("sha256//[A-Za-z0-9+/]{43}="));
  // The pin is of the key: the key file's public half hashes to the same value.
  std::unique_ptr<FILE, decltype(&std::fclose)> key_file(std::fopen(files.key.c_str(), "r"),
                                                         &std::fclose);
  ASSERT_TRUE(key_file);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_PrivateKey(key_file.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  ASSERT_TRUE(key);
  unsigned char* der = nullptr;
  const int der_size = i2d_PUBKEY(key.get(), &der);
  ASSERT_GT(der_size, 0);
  unsigned char digest[32];
  unsigned int digest_size = 0;
  EVP_Digest(der, static_cast<std::size_t>(der_size), digest, &digest_size, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  unsigned char base64[45];
  EVP_EncodeBlock(base64, digest, 32);
  EXPECT_EQ(pin, "sha256//" + std::string(reinterpret_cast<char*>(base64)));
}

TEST(SelfSignedCertificateTest, EachCertificateHasItsOwnKeyAndSerial) {
  CertificateFiles first, second;
  ASSERT_OK_AND_ASSIGN(const std::string first_fingerprint,
                       MakeSelfSignedCertificate(first.cert, first.key, {"localhost"}));
  ASSERT_OK_AND_ASSIGN(const std::string second_fingerprint,
                       MakeSelfSignedCertificate(second.cert, second.key, {"localhost"}));
  EXPECT_NE(first_fingerprint, second_fingerprint);
  ASSERT_OK_AND_ASSIGN(const std::string first_pin, PublicKeyPin(first.cert));
  ASSERT_OK_AND_ASSIGN(const std::string second_pin, PublicKeyPin(second.cert));
  EXPECT_NE(first_pin, second_pin);
  const auto first_certificate = LoadCertificate(first.cert);
  const auto second_certificate = LoadCertificate(second.cert);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(first_certificate.get()),
                             X509_get0_serialNumber(second_certificate.get())),
            0);
}

TEST(SelfSignedCertificateTest, VerifiesStrictlyAsItsOwnTrustAnchorForEveryName) {
  CertificateFiles files;
  ASSERT_THAT(MakeSelfSignedCertificate(files.cert, files.key,
                                        {"sync.example.org", "127.0.0.1", "::1"}),
              IsOk());
  const auto certificate = LoadCertificate(files.cert);
  ASSERT_TRUE(certificate);
  EXPECT_EQ(X509_get_version(certificate.get()), X509_VERSION_3);
  EXPECT_EQ(VerifyAsOwnTrustAnchor(certificate.get()), X509_V_OK);
  EXPECT_EQ(X509_check_host(certificate.get(), "sync.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(certificate.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(certificate.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(certificate.get(), "other.example.org", 0, 0, nullptr), 1);
  // Ten years, give or take the backdating.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(certificate.get()),
                           X509_get0_notAfter(certificate.get())),
            1);
  EXPECT_NEAR(days, 3650, 1);
}

TEST(SelfSignedCertificateTest, RefusesNoNamesAndNamesThatCouldInjectEntries) {
  CertificateFiles files;
  EXPECT_THAT(MakeSelfSignedCertificate(files.cert, files.key, {}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeSelfSignedCertificate(files.cert, files.key, {"a.example,IP:10.0.0.1"}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeSelfSignedCertificate(files.cert, files.key, {"a b"}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(CertificateFingerprint(files.cert), StatusIs(StatusCode::kNotFound));
}

TEST(SelfSignedCertificateTest, ReadingRefusesMissingAndNonPemFiles) {
  TempDir dir;
  EXPECT_THAT(CertificateFingerprint(dir.File("missing.crt")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(PublicKeyPin(dir.File("missing.crt")), StatusIs(StatusCode::kNotFound));
  std::ofstream(dir.File("junk.crt")) << "not a certificate\n";
  EXPECT_THAT(CertificateFingerprint(dir.File("junk.crt")), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(PublicKeyPin(dir.File("junk.crt")), Not(IsOk()));
}

}  // namespace
}  // namespace outreach::server
