#!/usr/bin/env bash
# The main job of the README. Until the sync server lands (issue 4) the runnable part of the
# engine is the encrypted store, so this builds it and runs its benchmark against plain SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DOUTREACH_BUILD_TESTS=OFF >/dev/null
cmake --build build-release -j2 --target storage_bench
exec build-release/bin/storage_bench "$@"
