#!/usr/bin/env bash
# Builds librdkafka's Debian packages from Debian 13's source package, with Tongban's patches,
# into the directory given (Scripts/setup.sh on a developer's machine, Compose/Dockerfile in the
# image). Needs a deb-src line for trixie and the build dependencies installed.
#   Scripts/librdkafka/build.sh OUT_DIR
# The packages are versioned $RDKAFKA_DEB_VERSION (see below), so that setup can tell a patched
# library from Debian's own 2.8.0.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: $0 OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# shellcheck source=Scripts/librdkafka/version.sh
source "$HERE/version.sh"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source -qq "librdkafka/trixie" >/dev/null 2>&1
cd "librdkafka-$RDKAFKA_VERSION"
# 0001: a topic deleted and created again (a broker that lost its log, then the services'
# topic set-up) left a freed entry in the metadata cache's tree by topic id, and every client
# crashed soon after (confluentinc/librdkafka#4964; upstream's fix is in 2.10).
for patch in "$HERE"/*.patch; do
  patch -p1 --quiet <"$patch"
done
{
  printf 'librdkafka (%s) unstable; urgency=medium\n\n' "$RDKAFKA_DEB_VERSION"
  printf '  * Tongban: %s\n' "$(cd "$HERE" && ls ./*.patch | sed 's#^\./##' | paste -sd' ')"
  printf '\n -- Tongban <tongban@localhost>  %s\n\n' "$(date -R)"
  cat debian/changelog
} >debian/changelog.new
mv debian/changelog.new debian/changelog
DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -uc -us >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log" >&2; exit 1; }
cp "$work"/librdkafka1_*.deb "$work"/librdkafka++1_*.deb "$work"/librdkafka-dev_*.deb "$out/"
