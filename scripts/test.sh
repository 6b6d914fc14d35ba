#!/usr/bin/env bash
# All tests: install, build the release and the sanitizer (ASan+UBSan) builds, run every test in both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh default
ctest --preset default -j 2
scripts/build.sh asan
ctest --preset asan -j 2
