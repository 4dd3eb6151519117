#!/usr/bin/env bash
# System packages tsrun's build, demo and tests need on a Debian machine (run as root).
#   busybox-static  the demo/test root filesystem (scripts/setup-bundles.sh)
#   iproute2        `ip` for network-namespace tests
#   procps          `ps` for the leak checks
#   gcc, libc6-dev  the constants test compiles a C program against the kernel headers
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends busybox-static iproute2 procps gcc libc6-dev linux-libc-dev util-linux >/dev/null
