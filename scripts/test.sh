#!/usr/bin/env bash
# Builds everything and runs every test through ctest (the README's test command; .ci/run runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
