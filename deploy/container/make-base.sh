#!/usr/bin/env bash
# Makes a stand-in for python:3.10-slim without any registry: Debian bookworm (minbase, from
# the Debian mirror apt uses) plus a Python 3.10 interpreter tree copied from this machine
# (pyenv). bookworm's own python3 is 3.11, and Rasa 3.6 needs <= 3.10.
#   deploy/container/make-base.sh [IMAGE]   (default localhost/python:3.10-slim-local)
# Needs root, debootstrap and podman (make image installs them).
set -euo pipefail

IMAGE=${1:-localhost/python:3.10-slim-local}
PYTHON_VERSION=3.10
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The libraries the interpreter's extension modules link against (ssl, ctypes, sqlite3, ...).
RUNTIME_LIBS=libssl3,libffi8,libsqlite3-0,libreadline8,libncursesw6,libnsl2,libtirpc3,libexpat1,libbz2-1.0,liblzma5,zlib1g,libuuid1,ca-certificates

python_tree() {
    if [ -n "${PYTHON_TREE:-}" ]; then echo "$PYTHON_TREE"; return; fi
    local py
    py=$("$(dirname "$0")/../../scripts/find-python310.sh") || exit 1
    "$py" -c 'import sys; print(sys.base_prefix)'
}

TREE=$(python_tree)
[ -x "$TREE/bin/python$PYTHON_VERSION" ] || { echo "$TREE/bin/python$PYTHON_VERSION fehlt." >&2; exit 1; }
# Only a tree with its own libpython and pip can stand in for the official image.
[ -e "$TREE/lib/libpython$PYTHON_VERSION.so.1.0" ] || { echo "$TREE: keine libpython$PYTHON_VERSION.so (mit --enable-shared gebaut?)" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/asskomm-base.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOTFS=$WORK/rootfs

echo "debootstrap bookworm (minbase) von $MIRROR ..."
debootstrap --variant=minbase --include="$RUNTIME_LIBS" bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }

echo "Python aus $TREE nach /usr/local ..."
# No test suite, no byte code, and no site hooks of the build machine (.pth files other
# than setuptools' own): the image gets a plain interpreter with pip and setuptools.
tar -C "$TREE" -c --exclude="lib/python$PYTHON_VERSION/test" --exclude='__pycache__' \
    --exclude='*.pth' --exclude='idlelib' --exclude='tkinter' --exclude='lib/pkgconfig' . \
    | tar -C "$ROOTFS/usr/local" -x
cp "$TREE/lib/python$PYTHON_VERSION/site-packages/distutils-precedence.pth" \
   "$ROOTFS/usr/local/lib/python$PYTHON_VERSION/site-packages/" 2>/dev/null || true
# The copied binary looks for libpython in the build machine's path (RUNPATH); the loader
# finds it under /usr/local/lib instead.
echo /usr/local/lib > "$ROOTFS/etc/ld.so.conf.d/usr-local-python.conf"
chroot "$ROOTFS" /sbin/ldconfig
chroot "$ROOTFS" /usr/local/bin/python$PYTHON_VERSION -c 'import ssl, sqlite3, ctypes, lzma, bz2, uuid, pip'

# Like the official image: small, no package lists, python/pip on PATH.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log
tar -C "$ROOTFS" -c . | podman import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    --quiet - "$IMAGE" >/dev/null
echo "Basis-Image $IMAGE: $(podman image inspect --format '{{.Size}}' "$IMAGE" | numfmt --to=iec)"
