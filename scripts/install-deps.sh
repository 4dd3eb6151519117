#!/usr/bin/env bash
# System packages tsrun's build, demo and tests need on a Debian machine (run as root).
#   busybox-static  the demo/test root filesystem (scripts/setup-bundles.sh)
#   iproute2        `ip` for network-namespace tests
#   procps          `ps` for the leak checks
#   gcc, libc6-dev  the constants test compiles a C program against the kernel headers
#   libseccomp2     linux.seccomp is compiled with libseccomp.so.2 (through koffi)
#   golang-github-containers-common  podman's default seccomp profile, /usr/share/containers/seccomp.json,
#                   used by the seccomp tests. Debian ships no file of Docker's default profile
#                   (dockerd compiles it in): the tests derive it from podman's (test/integration/seccomp.test.ts).
#   python3         the seccomp NOTIFY test's listener (socket.recv_fds)
#   strace          lists what the init and exec stages call after the seccomp load
#                   (test/integration/seccomp-after-load.test.ts)
#   uidmap          newuidmap/newgidmap: a non-root tsrun maps /etc/subuid and /etc/subgid ranges through
#                   them (test/integration/rootless.test.ts; rootless podman needs them too)
#   containerd podman conmon docker.io
#                   the container managers test/clients/ drives with tsrun as their runtime (ctr and
#                   the runc v2 shim, podman with conmon, dockerd); util-linux's script(1) gives their
#                   -t cases a terminal
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends busybox-static iproute2 procps gcc libc6-dev linux-libc-dev util-linux \
  libseccomp2 golang-github-containers-common python3 strace uidmap containerd podman conmon docker.io >/dev/null
