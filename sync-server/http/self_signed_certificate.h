// A self-signed TLS certificate for a server with no CA behind it (a small team's own box):
// devices trust exactly this certificate (as their CA file) or pin its public key. OpenSSL only,
// no Beast.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"

namespace outreach::server {

// Writes a new EC P-256 private key to `key_path` (PEM, mode 0600 from the moment it exists) and
// a self-signed X.509 v3 certificate for it to `cert_path` (PEM, mode 0644): random 128-bit
// serial, valid from an hour ago for ten years, SubjectAltName with each of
// `dns_names_and_ips` (IPv4/IPv6 literals become IP entries, the rest DNS names), the first as
// the subject's common name. Each file is replaced atomically. Returns the certificate's
// SHA-256 fingerprint ("AB:01:...", as `openssl x509 -fingerprint -sha256` prints it).
// invalid_argument: no names, or a name that is neither an IP nor a DNS name; io: a file could
// not be written; internal: OpenSSL failed.
Result<std::string> MakeSelfSignedCertificate(const std::string& cert_path,
                                              const std::string& key_path,
                                              const std::vector<std::string>& dns_names_and_ips);

// The SHA-256 fingerprint of the first certificate in the PEM file at `cert_path`, in the same
// form. not_found: no file; invalid_argument: no PEM certificate in it.
Result<std::string> CertificateFingerprint(const std::string& cert_path);

// "sha256//<base64 of the SHA-256 of the DER SubjectPublicKeyInfo>" of the first certificate in
// the PEM file, as libcurl's CURLOPT_PINNEDPUBLICKEY takes it. Stays the same when the
// certificate is renewed for the same key. Errors as CertificateFingerprint.
Result<std::string> PublicKeyPin(const std::string& cert_path);

}  // namespace outreach::server
