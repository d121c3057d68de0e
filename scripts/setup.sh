#!/usr/bin/env bash
# Sets up everything Fleet Health needs on a Debian 12 machine: Debian packages,
# TimescaleDB (built from Debian trixie's source when PostgreSQL lacks it) and
# the Python environment in .venv. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PG_MAJOR=15
PKGS=(postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR cmake build-essential mosquitto mosquitto-clients python3-venv python3-dev dpkg-dev xz-utils chromium chromium-driver)
# npm only where no Node.js toolchain is present: a machine with NodeSource's nodejs already has npm,
# and Debian's npm package would conflict with it.
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
log() { printf '[setup] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # Keep the machine's own services as they are: no auto-start of new ones.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PG_SHARE=$(/usr/lib/postgresql/$PG_MAJOR/bin/pg_config --sharedir 2>/dev/null || echo /usr/share/postgresql/$PG_MAJOR)
if [ ! -f "$PG_SHARE/extension/timescaledb.control" ]; then
  log "TimescaleDB missing for PostgreSQL $PG_MAJOR: building it from Debian trixie's source"
  work=$(mktemp -d /tmp/fleet-tsdb.XXXXXX)
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  mkdir -p "$work/lists/partial"
  echo "deb-src $mirror trixie main" > "$work/sources.list"
  aptopts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$work/lists")
  apt-get "${aptopts[@]}" update -qq
  (cd "$work" && apt-get "${aptopts[@]}" source --download-only timescaledb >/dev/null)
  tarball=$(ls "$work"/timescaledb_*.orig.tar.* | head -n1)
  mkdir -p "$work/src" && tar -xf "$tarball" -C "$work/src" --strip-components=1
  (cd "$work/src" && ./bootstrap -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF \
      -DLINTER=OFF -DAPACHE_ONLY=ON -DPG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config >/dev/null \
    && as_root make -C build -j"$(nproc)" install >/dev/null)
  rm -rf "$work"
  log "TimescaleDB installed"
fi

PY=${PYTHON:-python3}
stamp=.venv/.fleet-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating .venv and installing the project with its dev extras"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi
# The ops page's chart library, from the npm registry, served locally (never a CDN); not committed.
UPLOT=1.6.32
VENDOR=fleet_api/static/vendor
if [ "$(cat "$VENDOR/.uplot-version" 2>/dev/null)" != "$UPLOT" ]; then
  log "installing uPlot $UPLOT from npm into $VENDOR"
  npmdir=$(mktemp -d /tmp/fleet-npm.XXXXXX)
  (cd "$npmdir" && npm install --silent --no-audit --no-fund "uplot@$UPLOT" >/dev/null)
  mkdir -p "$VENDOR"
  cp "$npmdir/node_modules/uplot/dist/uPlot.iife.min.js" "$npmdir/node_modules/uplot/dist/uPlot.min.css" "$VENDOR/"
  echo "$UPLOT" > "$VENDOR/.uplot-version"
  rm -rf "$npmdir"
fi
log "ready: $ROOT/.venv/bin/fleet"
