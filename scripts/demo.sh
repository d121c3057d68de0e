#!/usr/bin/env bash
# Set up everything (Debian packages, TimescaleDB, .venv), then run the simulated fleet end to end with the ops page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/fleet demo "$@"
