// TestCa: a throwaway certificate authority for TLS tests, made with the OpenSSL C API: a CA
// and a server certificate for 127.0.0.1, [::1] and localhost signed by it, written as PEM
// files. Each call makes new keys, so two calls give two CAs that do not trust each other
// (the "wrong CA" case).
#pragma once

#include <string>

namespace outreach::testing {

struct TestCertificates {
  std::string ca_file;            // <dir>/ca.pem: the CA certificate, to verify the server with
  std::string server_chain_file;  // <dir>/server-cert.pem: server certificate, then the CA's
  std::string server_key_file;    // <dir>/server-key.pem: the server's private key, unencrypted
  // "sha256//<base64 of SHA-256 of the server key's SubjectPublicKeyInfo>", libcurl's pin form.
  std::string server_pin;
};

// Writes the files into `directory` (which must exist). ECDSA P-256 keys: quick to make, even
// under the sanitizers. Valid from an hour ago for a week. Throws std::runtime_error.
TestCertificates MakeTestCertificates(const std::string& directory);

}  // namespace outreach::testing
