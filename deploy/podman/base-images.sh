#!/usr/bin/env bash
# Builds, once, the images the Dockerfile and docker-compose.yml name but that no registry can serve
# on machines like the CI's (no image registry is reachable; Debian's mirrors and npm's registry are):
#   docker.io/library/node:24-bookworm-slim   Debian bookworm minbase + node 24 and npm 11 from npm
#   docker.io/library/redis:7.0.15-bookworm   Debian bookworm's redis-server (7.0.15)
#   localhost/ordermanagement-otlp-stub:local a stand-in for grafana/otel-lgtm (otlp-stub.ts)
# An image already in `podman images` is left alone (the stand-in: unless its sources changed), so a
# second run takes a second. The debootstrap
# root file system is cached as a tarball under $ORDERMANAGEMENT_CACHE (~/.cache/ordermanagement), so
# rebuilding the images after `podman system reset` does not download Debian again.
# Run as root (debootstrap needs it). Exits non-zero, saying why, when a prerequisite is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
cache=${ORDERMANAGEMENT_CACHE:-$HOME/.cache/ordermanagement}/base-images
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_major=${NODE_MAJOR:-24}
npm_major=${NPM_MAJOR:-11}

DEBIAN_IMAGE=localhost/ordermanagement-debian:bookworm-minbase
NODE_IMAGE=docker.io/library/node:24-bookworm-slim
REDIS_IMAGE=docker.io/library/redis:7.0.15-bookworm
OTLP_IMAGE=localhost/ordermanagement-otlp-stub:local

fail() {
  echo "base-images.sh: $*" >&2
  exit 1
}

# Scratch directories (a root file system, a build context) go when the script ends, however it ends.
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT

started=$(date +%s.%N)
# Prints how long a step took, from $1 (a `date +%s.%N`).
took() { awk -v from="$1" -v now="$(date +%s.%N)" -v what="$2" 'BEGIN { printf "%s: %.1f s\n", what, now - from }'; }

packages='podman runc catatonit netavark aardvark-dns iptables podman-compose'
command -v podman >/dev/null || fail "podman is not installed (apt-get install -y $packages)"
# podman-compose reports a failed `podman run` and still exits 0: say it here, before any container.
[ -e /usr/libexec/podman/catatonit ] ||
  fail "catatonit is not installed (apt-get install -y catatonit): the compose file's init: true needs it"
[ -e /usr/lib/podman/aardvark-dns ] ||
  fail 'aardvark-dns is not installed (apt-get install -y netavark aardvark-dns): services could not find each other by name'
# netavark sets up every container's network with the iptables program: without it each start fails
# with "netavark: No such file or directory", and podman-compose still exits 0.
[ -x /usr/sbin/iptables ] || command -v iptables >/dev/null ||
  fail 'iptables is not installed (apt-get install -y iptables): netavark cannot start any container without it'
command -v curl >/dev/null || fail 'curl is not installed (apt-get install -y curl)'
podman info >/dev/null 2>&1 || fail "podman does not run with CONTAINERS_CONF=$CONTAINERS_CONF: $(podman info 2>&1 | tail -1)"

has_image() { podman image exists "$1"; }

# The stand-in is built from files of this checkout: rebuilt when they change, told by a label.
otlp_sources=$(cat "$here/otlp-stub.Containerfile" "$here/otlp-stub.ts" "$here/otlp-wire.ts" | sha256sum | cut -c1-16)
otlp_current() {
  has_image "$OTLP_IMAGE" &&
    [ "$(podman image inspect --format '{{index .Labels "ordermanagement.sources"}}' "$OTLP_IMAGE")" = "$otlp_sources" ]
}

missing=()
for image in "$NODE_IMAGE" "$REDIS_IMAGE"; do has_image "$image" || missing+=("$image"); done
otlp_current || missing+=("$OTLP_IMAGE")
if [ ${#missing[@]} -eq 0 ]; then
  echo "base images present: $NODE_IMAGE $REDIS_IMAGE $OTLP_IMAGE"
  exit 0
fi
echo "to build: ${missing[*]}"

# The Debian root file system every image here starts from; debootstrap runs once per cache.
debian_image() {
  if has_image "$DEBIAN_IMAGE"; then return; fi
  local tarball=$cache/bookworm-minbase.tar
  if [ ! -s "$tarball" ]; then
    [ "$(id -u)" -eq 0 ] || fail 'debootstrap needs root: run as root'
    command -v debootstrap >/dev/null || fail 'debootstrap is not installed (apt-get install -y debootstrap)'
    curl -fsS --max-time 20 -o /dev/null "$mirror/dists/bookworm/Release" ||
      fail "cannot reach $mirror (debootstrap and the Redis image need Debian's mirror)"
    local t rootfs
    t=$(date +%s.%N)
    rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
    scratch+=("$rootfs")
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      fail "debootstrap failed: see $cache/debootstrap.log"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    took "$t" "debootstrap bookworm minbase (cached in $tarball)"
  fi
  local t
  t=$(date +%s.%N)
  podman import --change 'CMD ["bash"]' "$tarball" "$DEBIAN_IMAGE" >"$cache/import.log" 2>&1 ||
    fail "podman import $tarball failed: see $cache/import.log"
  took "$t" "podman import $DEBIAN_IMAGE"
}

# npm packages, installed once into the cache: `npm install --prefix DIR node@24` fetches the node
# binary for this platform (DIR/node_modules/node/bin/node) in a preinstall script, which npm 11.19
# runs only when the project allows it, so each cache is a project that does; a package without its
# binary is fetched again. npm itself comes as its own package.
npm_package() {
  local dir=$cache/npm-$1
  if [ ! -e "$dir/node_modules/$2/bin/$2" ]; then
    command -v npm >/dev/null || fail 'npm is not on PATH (apt-get install -y npm, or bash .ci/run, which installs Node 24)'
    # npm keeps an installed package as it is: a cache left without the binary is started afresh.
    rm -rf "$dir" && mkdir -p "$dir"
    echo "{ \"private\": true, \"allowScripts\": { \"$2\": true } }" >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --no-save "$2@$3" >"$cache/npm-$1.log" 2>&1 ||
      fail "npm install $2@$3 failed (is the npm registry reachable?): see $cache/npm-$1.log"
    [ -e "$dir/node_modules/$2/bin/$2" ] ||
      fail "npm install $2@$3 left no $dir/node_modules/$2/bin/$2 (did its install script run?): see $cache/npm-$1.log"
  fi
  echo "$dir/node_modules/$2"
}

node_image() {
  local t context
  t=$(date +%s.%N)
  context=$(mktemp -d "$cache/node-context.XXXXXX")
  scratch+=("$context")
  local node_package npm_package_dir
  # Assigned first: a failure inside $(…) would only end the subshell.
  node_package=$(npm_package node node "$node_major") || exit 1
  npm_package_dir=$(npm_package npm npm "$npm_major") || exit 1
  cp -L "$node_package/bin/node" "$context/node"
  cp -a "$npm_package_dir" "$context/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$context/" || fail 'no /etc/ssl/certs/ca-certificates.crt on this host'
  podman build --format docker --network=host --pull=never -f "$here/node.Containerfile" \
    --build-arg "BASE=$DEBIAN_IMAGE" -t "$NODE_IMAGE" "$context" >"$cache/node-build.log" 2>&1 ||
    fail "building $NODE_IMAGE failed: see $cache/node-build.log"
  took "$t" "build $NODE_IMAGE ($(podman run --rm "$NODE_IMAGE" node --version))"
}

redis_image() {
  local t
  t=$(date +%s.%N)
  curl -fsS --max-time 20 -o /dev/null "$mirror/dists/bookworm/Release" ||
    fail "cannot reach $mirror (the Redis image installs Debian's redis-server)"
  podman build --format docker --network=host --pull=never -f "$here/redis.Containerfile" \
    --build-arg "BASE=$DEBIAN_IMAGE" -t "$REDIS_IMAGE" "$here" >"$cache/redis-build.log" 2>&1 ||
    fail "building $REDIS_IMAGE failed: see $cache/redis-build.log"
  took "$t" "build $REDIS_IMAGE"
}

otlp_image() {
  local t
  t=$(date +%s.%N)
  podman build --format docker --pull=never --label "ordermanagement.sources=$otlp_sources" \
    -f "$here/otlp-stub.Containerfile" -t "$OTLP_IMAGE" "$here" \
    >"$cache/otlp-build.log" 2>&1 || fail "building $OTLP_IMAGE failed: see $cache/otlp-build.log"
  took "$t" "build $OTLP_IMAGE"
}

mkdir -p "$cache"
# Plain `if`s: inside an `a && b` list, bash would ignore `set -e` in a's body.
if ! has_image "$NODE_IMAGE"; then
  debian_image
  node_image
fi
if ! has_image "$REDIS_IMAGE"; then
  debian_image
  redis_image
fi
if ! otlp_current; then otlp_image; fi
took "$started" 'base images ready'
