#!/usr/bin/env bash
# The test command of the README: installs dependencies, builds, runs every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# -g1: line tables, all a failing test's backtrace needs; full -g made the build ~40% slower.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build -j2
ctest --test-dir build --output-on-failure -j2
