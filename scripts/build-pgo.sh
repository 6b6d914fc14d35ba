#!/usr/bin/env bash
# Builds build/pgo/bts and the benchmarks with profile-guided optimisation: an instrumented build,
# a training run of the simulator (systems and seeds other than the benchmark's), then the
# optimised build from those counts, with link-time optimisation (the pgo preset's BTS_LTO), so
# the profile's hot calls through the HAL and into the CAN bus model inline across files. About
# twice the time of a plain build; the simulator runs faster and writes the same results to the
# bit. Rerun it after changing the sources: the counts always come from the code being built.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${BTS_JOBS:-2}"

cmake --preset pgo -DBTS_PGO=generate >/dev/null
find build/pgo -name '*.gcda' -delete
cmake --build --preset pgo -j "$jobs" --target bts

training_dir="$(mktemp -d)"
trap 'rm -rf "$training_dir"' EXIT
echo "training run (instrumented simulator)..."
build/pgo/bts simulate --quiet --system e20 --duration 24h --seed 101 --out "$training_dir/e20" >/dev/null
build/pgo/bts simulate --quiet --system e40 --duration 8h --seed 102 --out "$training_dir/e40" >/dev/null
build/pgo/bts simulate --quiet --system e10 --duration 24h --seed 103 --out "$training_dir/e10" >/dev/null

cmake --preset pgo -DBTS_PGO=use >/dev/null
cmake --build --preset pgo -j "$jobs"
echo "built build/pgo/bts and build/pgo/bench/* with profile-guided optimisation"
