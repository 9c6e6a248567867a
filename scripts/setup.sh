#!/usr/bin/env bash
# Installs the Debian 12 packages ngx_cerebro needs. Idempotent: does nothing
# when every package is present. The Dockerfile calls it with one profile per
# stage, so the image holds exactly what this script installs.
#
#   scripts/setup.sh [--if-needed] [runtime|build|test|all ...]
#
#   runtime  what the server needs to run (the Docker runtime stage)
#   build    what building the module needs (the Docker build stage)
#   test     what `make test`, `make fuzz` and bench/ need
#   package  what `make deb`, `make deb-test` and `make image-test` need
#   all      runtime, build and test (the default)
#
# --if-needed: check only; install (as root) when something is missing, and
# explain how otherwise.
set -euo pipefail

runtime_pkgs=(nginx libcjson1 libhiredis0.14 libsqlite3-0 gettext-base
              tzdata ca-certificates curl libcurl4)
build_pkgs=(gcc make libc6-dev pkg-config nginx-dev libssl-dev libpcre2-dev
            zlib1g-dev libcjson-dev libhiredis-dev libsqlite3-dev
            libcurl4-openssl-dev dpkg-dev)
# The packages, the Debian root they are installed into, the image.
package_pkgs=(debhelper dpkg-dev fakeroot debootstrap podman buildah runc
              slirp4netns fuse-overlayfs uidmap)
test_pkgs=(libcmocka-dev python3 python3-pytest redis-server wrk clang
           libclang-rt-14-dev valgrind procps nodejs npm openssl prometheus
           chromium)

if_needed=0
profiles=()
for arg in "$@"; do
    case "$arg" in
        --if-needed) if_needed=1 ;;
        runtime|build|test|package|all) profiles+=("$arg") ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#profiles[@]} -gt 0 ] || profiles=(all)

wanted=()
for profile in "${profiles[@]}"; do
    case "$profile" in
        runtime) wanted+=("${runtime_pkgs[@]}") ;;
        build)   wanted+=("${build_pkgs[@]}") ;;
        test)    wanted+=("${test_pkgs[@]}") ;;
        package) wanted+=("${package_pkgs[@]}") ;;
        all)     wanted+=("${runtime_pkgs[@]}" "${build_pkgs[@]}"
                          "${test_pkgs[@]}") ;;
    esac
done

# A node from elsewhere (NodeSource's nodejs bundles npm, and conflicts
# with Debian's npm) serves the tests as well as Debian's.
provided() {
    case "$1" in
        nodejs) command -v node >/dev/null 2>&1 ;;
        npm)    command -v npm >/dev/null 2>&1 ;;
        *)      return 1 ;;
    esac
}

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || provided "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing Debian packages: ${missing[*]}" >&2
    echo "setup.sh: run 'sudo scripts/setup.sh' (or install them) and retry" >&2
    exit 1
fi

[ "$if_needed" -eq 1 ] && echo "setup.sh: installing ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
# An image or a fresh machine may have no package lists yet.
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The packaged nginx starts a system-wide server on port 80 when installed on
# a machine with an init system; ours runs from its own prefix instead.
if command -v systemctl >/dev/null 2>&1 \
   && systemctl is-active --quiet nginx 2>/dev/null; then
    systemctl stop nginx || true
fi
