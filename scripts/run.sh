#!/usr/bin/env bash
# The main job: install, build, and run the built-in default simulation. Extra arguments go to
# `bts simulate` (e.g. --system e20 --duration 2h).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh default
exec build/default/bts simulate "$@"
