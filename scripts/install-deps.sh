#!/usr/bin/env bash
# Installs every Debian 12 package the project builds, tests and benchmarks with.
# Idempotent and quiet; CI and newcomers run exactly this (README).
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # toolchain (g++ 12, cmake 3.25)
  libsqlite3-dev                     # SQLite 3.40: the embedded store under our encrypting VFS
  libsodium-dev                      # Argon2id, key wrapping, nonces, secure memory
  libssl-dev                         # OpenSSL 3: fast ChaCha20-Poly1305 for page sealing, later TLS
  nlohmann-json3-dev                 # JSON values of records and changes
  libvalijson-dev                    # JSON Schema (draft-07) validation of every write
  libgtest-dev libgmock-dev          # GoogleTest
  librapidcheck-dev                  # property-based merge tests (with GoogleTest)
  json-schema-test-suite             # the official draft-07 suite, run through our validator
  python3-jsonschema                 # ships the draft-07 metaschema the suite refers to
  libboost1.81-dev                   # Boost.Beast/Asio 1.81 (http::message_generator): the sync server
  libcurl4-openssl-dev               # the device SDK's HTTPS transport
  libcereal-dev                      # portable binary encoding of sync messages
  libzstd-dev                        # compression of sync bodies
  libcli11-dev                       # command lines of outreach-server and outreach
  libmimalloc-dev                    # the server's allocator (sync-server/CMakeLists.txt)
  libbenchmark-dev                   # Google Benchmark (sync_bench helpers)
  openssl python3                    # tests: a CA made per run; the C ABI driven from ctypes
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
