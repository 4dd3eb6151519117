#!/usr/bin/env bash
# Builds the root filesystems of the bundles under bundles/ (they are not committed, see
# bundles/README.md). Idempotent: a re-run only adds what is missing, so it is fast.
#
#   bash scripts/setup-bundles.sh                   build bundles/busybox/rootfs and every rootfs a
#                                                   bundles/*/config.json points at (inside bundles/)
#   bash scripts/setup-bundles.sh --rootfs DIR      build one rootfs at DIR only
#   bash scripts/setup-bundles.sh --host-binaries   use host binaries + their libraries even when a
#                                                   static busybox exists (the fallback, for testing it)
#
# The rootfs is a static busybox with a link per applet (Debian package busybox-static), or, when no
# static busybox is installed, a few host binaries plus the shared libraries ldd reports. Either way
# it has the mount points the default spec needs and minimal /etc/passwd and /etc/group with the
# users the tests rely on: root (0), tsuser (1000:1000, supplementary group tsextra 1001), nobody
# (65534). Run it as root so that the files are owned by root, as a container expects.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundles="$repo/bundles"
shared_rootfs="$bundles/busybox/rootfs"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
log() { printf 'setup-bundles: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

only_rootfs=""
force_host=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rootfs) [ $# -ge 2 ] || die "--rootfs needs a directory"; only_rootfs=$2; shift 2 ;;
    --host-binaries) force_host=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

is_root=0
[ "$(id -u)" = 0 ] && is_root=1

# A busybox we can copy on its own must be statically linked: ldd says "not a dynamic executable".
find_static_busybox() {
  local bb out
  for bb in /bin/busybox /usr/bin/busybox /sbin/busybox /usr/sbin/busybox; do
    [ -x "$bb" ] || continue
    # (ldd exits 1 for a static binary, so its output is captured rather than piped under pipefail)
    out=$(LC_ALL=C ldd "$bb" 2>&1) || true
    if [[ $out == *'not a dynamic executable'* ]]; then
      "$bb" --list >/dev/null 2>&1 && { printf '%s\n' "$bb"; return 0; }
    fi
  done
  return 1
}

# Writes $2 into file $1 only when the content differs (keeps re-runs from touching anything).
write_file() {
  local file=$1 content=$2 mode=$3
  if [ ! -f "$file" ] || [ "$(cat "$file")" != "$content" ]; then
    printf '%s\n' "$content" > "$file.tmp.$$"
    chmod "$mode" "$file.tmp.$$"
    mv -f "$file.tmp.$$" "$file"
  fi
}

install_busybox() {
  local root=$1 bb=$2 entry dir link target
  mkdir -p "$root/bin"
  if ! cmp -s "$bb" "$root/bin/busybox"; then
    install -m 0755 "$bb" "$root/bin/busybox"
  fi
  # --list-full gives each applet's usual place (bin/sh, usr/bin/env, sbin/ifconfig), so scripts
  # with "#!/usr/bin/env" work; older busyboxes only know --list, then everything goes in bin/.
  local list
  if ! list=$("$bb" --list-full 2>/dev/null); then
    list=$("$bb" --list | sed 's|^|bin/|')
  fi
  while IFS= read -r entry; do
    [ -n "$entry" ] || continue
    link="$root/$entry"
    [ -e "$link" ] || [ -L "$link" ] && continue
    # Relative links, so they resolve the same from the host and from inside the container.
    case "$entry" in
      bin/*) dir=bin; target=busybox ;;
      */*) dir=${entry%/*}; target=$(printf '%s' "$dir" | sed 's|[^/]*|..|g')/bin/busybox ;;
      *) dir=.; target=bin/busybox ;;   # top level (linuxrc)
    esac
    mkdir -p "$root/$dir"
    ln -s "$target" "$link"
  done <<< "$list"
}

# The fallback: host binaries and the libraries (and dynamic loader) they need, at the same paths.
install_host_binaries() {
  local root=$1 name bin lib
  local names="sh ls cat id hostname mount umount grep sleep echo env ps mkdir rmdir rm touch stat
    readlink head tail uname true false test printf kill ln cp mv chmod wc sed awk"
  mkdir -p "$root/bin"
  for name in $names; do
    bin=$(command -v "$name" 2>/dev/null) || { log "no host $name, skipped"; continue; }
    case "$bin" in /*) ;; *) continue ;; esac   # a shell builtin with no binary
    [ -e "$root/bin/$name" ] || cp -L "$bin" "$root/bin/$name"
    # ldd lines: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x..)" and "/lib64/ld-linux-x86-64.so.2 (0x..)"
    for lib in $(LC_ALL=C ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
      [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
    done
  done
}

build_rootfs() {
  local root=$1 bb=""
  mkdir -p "$root"
  if [ "$force_host" = 0 ] && bb=$(find_static_busybox); then
    log "$root: static busybox from $bb"
    install_busybox "$root" "$bb"
  else
    log "$root: no static busybox (apt-get install busybox-static) or --host-binaries: copying host binaries"
    install_host_binaries "$root"
  fi
  # Mount points for the default spec's mounts (config.md "mounts": the destination must exist in a
  # read-only rootfs) plus the usual top-level directories.
  mkdir -p "$root"/{proc,sys,dev,tmp,etc,root,home/tsuser,usr/bin,usr/sbin,sbin,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 0700 "$root/root"
  write_file "$root/etc/passwd" "root:x:0:0:root:/root:/bin/sh
tsuser:x:1000:1000:tsrun test user:/home/tsuser:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false" 0644
  write_file "$root/etc/group" "root:x:0:
tty:x:5:
tsuser:x:1000:
tsextra:x:1001:tsuser
nogroup:x:65534:" 0644
  write_file "$root/etc/hosts" "127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback" 0644
  if [ "$is_root" = 1 ]; then
    chown 0:0 "$root" "$root"/{proc,sys,dev,tmp,etc,root,home}
    chown 1000:1000 "$root/home/tsuser"
    # Sanity check without namespaces or mounts: the shell runs and sees the users. Its output is
    # read here, outside the chroot: a ">/dev/null" inside it would name the rootfs's own dev/,
    # which has no device nodes, and leave a regular file dev/null there (earlier versions did;
    # a container without a /dev mount then finds that file where /dev/null must be a device).
    [ -f "$root/dev/null" ] && [ ! -L "$root/dev/null" ] && rm -f "$root/dev/null"
    ids=$(chroot "$root" /bin/sh -c 'id -u root && id -u tsuser' 2>&1) || ids="failed: $ids"
    [ "$ids" = $'0\n1000' ] || die "$root: the new rootfs does not run /bin/sh (chroot check: $ids)"
  else
    log "warning: not root, so $root is owned by uid $(id -u), not 0"
  fi
}

# Every rootfs a bundle's config.json points at. root.path is resolved relative to the bundle
# (config.md "root"), so bundles/demo's "../busybox/rootfs" is the shared rootfs.
bundle_roots() {
  local cfg dir rel abs
  for cfg in "$bundles"/*/config.json; do
    [ -f "$cfg" ] || continue
    dir=$(dirname "$cfg")
    rel=$(node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      process.stdout.write(String((c.root && c.root.path) || ""))' "$cfg") || die "$cfg: not valid JSON"
    [ -n "$rel" ] || continue
    case "$rel" in /*) abs=$rel ;; *) abs=$dir/$rel ;; esac
    abs=$(realpath -m "$abs")
    case "$abs" in
      "$bundles"/*) printf '%s\n' "$abs" ;;
      *) log "$cfg: root.path $abs is outside bundles/, not building it" ;;
    esac
  done
}

if [ -n "$only_rootfs" ]; then
  build_rootfs "$(realpath -m "$only_rootfs")"
  exit 0
fi
{ printf '%s\n' "$shared_rootfs"; bundle_roots; } | sort -u | while IFS= read -r root; do
  build_rootfs "$root"
done
log "done"
