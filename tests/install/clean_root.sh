# shellcheck shell=bash
# A clean Debian root for the install test: `debootstrap --variant=minbase` of the suite the
# package targets, plus systemd (the unit is verified and run by the systemd that would run it;
# the maintainer scripts take their systemd branch) and man-db (`man -w`, and systemd-analyze
# verify's check of Documentation=man:...), from Debian's mirror (the one apt uses here).
# debootstrap takes minutes; its result is kept as a tarball under INSTALL_CACHE_DIR, keyed by
# suite and ISO week, so reruns in a week unpack it in seconds and a new week picks up Debian's
# point-release updates. Older tarballs of the suite are removed when a new one is made.
#
#   source tests/install/clean_root.sh; clean_root_make DIR     # DIR must not exist yet

INSTALL_SUITE=${INSTALL_SUITE:-bookworm}
INSTALL_MIRROR=${INSTALL_MIRROR:-http://deb.debian.org/debian}
INSTALL_CACHE_DIR=${INSTALL_CACHE_DIR:-/var/cache/directord-ci}
INSTALL_ROOT_PACKAGES=${INSTALL_ROOT_PACKAGES:-systemd,man-db}

clean_root_cache_file() {
  echo "$INSTALL_CACHE_DIR/debootstrap-$INSTALL_SUITE-minbase-${INSTALL_ROOT_PACKAGES//,/+}-$(date -u +%G-W%V).tar"
}

# Fills the cache when it is missing; prints "cached" or "cold" on stdout.
clean_root_ensure_cache() {
  local tarball build
  tarball=$(clean_root_cache_file)
  if [ -s "$tarball" ]; then
    echo cached
    return 0
  fi
  mkdir -p "$INSTALL_CACHE_DIR"
  build=$(mktemp -d "$INSTALL_CACHE_DIR/build.XXXXXX")
  if ! debootstrap --variant=minbase --include="$INSTALL_ROOT_PACKAGES" "$INSTALL_SUITE" "$build/root" \
      "$INSTALL_MIRROR" >"$build/debootstrap.log" 2>&1; then
    tail -20 "$build/debootstrap.log" >&2
    rm -rf "$build"
    echo "clean_root: debootstrap $INSTALL_SUITE from $INSTALL_MIRROR failed" >&2
    return 1
  fi
  # The package lists stay in the tarball: the test installs the .deb with apt, offline of updates.
  tar -C "$build/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$build"
  find "$INSTALL_CACHE_DIR" -maxdepth 1 -name "debootstrap-$INSTALL_SUITE-minbase-*.tar" ! -path "$tarball" -delete
  echo cold
}

clean_root_make() {
  local dir=$1
  [ ! -e "$dir" ] || { echo "clean_root: $dir exists" >&2; return 1; }
  mkdir -p "$dir"
  tar -C "$dir" -xf "$(clean_root_cache_file)"
}
