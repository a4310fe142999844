#!/usr/bin/env bash
# Installs what the tests need and runs every test of the workspace.
# Usage: scripts/test.sh   (from anywhere; needs cargo)
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests need no external server today: every service runs in-process on
# loopback. cargo-nextest is used when present, cargo test otherwise.
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
    # nextest does not run doctests.
    cargo test --workspace --doc
else
    cargo test --workspace --no-fail-fast
fi
