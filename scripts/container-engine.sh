#!/usr/bin/env bash
# A daemonless container engine for this machine, and the base image the Containerfile
# starts from. Sourced by scripts/container-smoke.sh; defines `engine_setup`.
#
# - podman (with runc: crun refuses this machine's hybrid cgroup layout), cgroupfs as the
#   cgroup manager, explicit ulimits (the sandbox lacks CAP_SYS_RESOURCE for podman's
#   defaults), storage under target/container/ so nothing lands outside the project;
# - localhost/bookworm-minbase: Debian bookworm from debootstrap (--variant=minbase) off
#   the apt mirror this machine already uses, imported with `podman import`. No registry.
#
# Installs podman, runc and debootstrap with apt-get when they are missing and it runs as
# root. Idempotent: a second run reuses the configuration, the storage and the base image.
# `engine_setup` returns 0 with CONTAINERS_CONF and CONTAINERS_STORAGE_CONF exported, or 1
# with the reason in ENGINE_MISSING (the caller skips, it does not fail).

BASE_IMAGE=localhost/bookworm-minbase

engine_setup() {
    local root dir
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    dir="$root/target/container"
    ENGINE_MISSING=""
    mkdir -p "$dir"
    if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
        if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
            ENGINE_MISSING="podman, runc and debootstrap are not installed (as root: apt-get install podman runc debootstrap)"
            return 1
        fi
        echo "container-engine: installing podman, runc and debootstrap (Debian packages)"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap; } >"$dir/apt.log" 2>&1; then
            ENGINE_MISSING="apt-get could not install podman, runc and debootstrap (see $dir/apt.log)"
            return 1
        fi
    fi
    mkdir -p "$dir/run" "$dir/storage"
    cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
    export CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf"
    # overlay where the kernel allows it; vfs (full copies, slower) where it does not.
    local driver
    for driver in overlay vfs; do
        cat >"$dir/storage.conf" <<EOF
[storage]
driver = "$driver"
runroot = "$dir/run"
graphroot = "$dir/storage/$driver"
EOF
        if ! podman image exists "$BASE_IMAGE" 2>/dev/null; then
            if [[ ! -x "$dir/rootfs/bin/sh" ]]; then
                echo "container-engine: debootstrap bookworm (minbase) from $(apt_mirror)"
                rm -rf "$dir/rootfs"
                if ! debootstrap --variant=minbase bookworm "$dir/rootfs" "$(apt_mirror)" >"$dir/debootstrap.log" 2>&1; then
                    ENGINE_MISSING="debootstrap failed (see $dir/debootstrap.log)"
                    return 1
                fi
                # What Debian's slim images leave out too: package lists and caches,
                # documentation, manual pages, translations (about 120 MB of 206).
                rm -rf "$dir"/rootfs/var/lib/apt/lists/* "$dir"/rootfs/var/cache/apt/* \
                    "$dir"/rootfs/usr/share/doc/* "$dir"/rootfs/usr/share/man/* \
                    "$dir"/rootfs/usr/share/locale/* "$dir"/rootfs/usr/share/info/*
            fi
            tar -C "$dir/rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null 2>&1 || continue
        fi
        if podman run --rm --network=host "$BASE_IMAGE" /bin/true >/dev/null 2>&1; then
            return 0
        fi
    done
    ENGINE_MISSING="podman cannot run a container on this machine (overlay and vfs storage both failed)"
    return 1
}

# The Debian mirror apt already uses (so debootstrap needs no other network access).
apt_mirror() {
    local uri
    uri="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
        | grep -oE 'https?://[^ ]+' | grep -v security | head -1)"
    echo "${uri:-http://deb.debian.org/debian}"
}
