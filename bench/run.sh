#!/usr/bin/env bash
# tsrun against runc, crun and a bare Node start, on the same bundle, in one hyperfine run.
#
#   sudo bash bench/run.sh [--install] [--runs N] [--tsrun PATH]
#
# The bundle is the demo config (bundles/demo) on the busybox rootfs, running `true`, and a copy
# running `sleep` for the commands that need a running container. Timed in ONE hyperfine
# invocation, each verb for every runtime back to back (so they see about the same load):
#   run                    `run` of `true` (create + start + wait + delete)
#   run-userns             the same with a new user namespace (container 0-999 -> host 100000-100999,
#                          container 1000 -> host root, so the shared rootfs stays usable): tsrun's
#                          trampoline (src/launcher/nsexec.c) against runc's nsexec
#   create+start+delete    three CLI calls through one `sh -c` (the sh start is in every column)
#   state                  of a created container
#   kill                   `kill ID KILL` of a running `sleep` container, a fresh one per iteration
#   list                   with two containers present
#   delete                 of a stopped container, a fresh one per iteration
#   exec                   `exec ID true` in a running `sleep` container
#   node -e 0              the floor: one bare Node start (first and again last)
# Containers a timed command needs are made by hyperfine's --prepare, so only the command itself
# is timed. The whole hyperfine run goes without NODE_EXTRA_CA_CERTS (env -u): `node -e 0` then
# measures a bare Node start, which is what bin/tsrun pays (its shebang drops the variable).
#
# Then memory: the waiting init stage of a created container (VmHWM = its peak RSS, VmRSS, RssAnon,
# RssFile from /proc/<pid>/status, Pss from smaps_rollup) and the peak RSS of one `run` (GNU time's
# %M: wait4's ru_maxrss, which covers every waited-for descendant: the init stage too). MB here
# means MiB (/proc reports KiB).
#
# Prints a markdown table (median ms), the ratios to runc, and one PASS/FAIL line per target of
# issue 11; also written to bench/results/<UTC stamp>.md with hyperfine's JSON next to it.
#
# Needs root, node, a build (`npm run build`), hyperfine and runc; crun and GNU time are optional
# (their columns/lines are skipped, with a note). Nothing is installed unless --install is given,
# and then only as root, with apt-get (Debian/Ubuntu): apt-get install -y hyperfine runc crun time.
# --tsrun PATH benchmarks another build (e.g. a checkout of main) against the same bundle.
# Everything it makes (state roots, containers, their cgroups, temp bundles) is removed on exit,
# Ctrl-C included. Not part of the test suite; timings never go into tests.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-20}
install=0
tsrun="$repo/bin/tsrun"
while [ $# -gt 0 ]; do
  case "$1" in
    --install) install=1 ;;
    --runs) runs=$2; shift ;;
    --tsrun) tsrun=$(realpath "$2"); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1' (--install, --runs N, --tsrun PATH)" >&2; exit 1 ;;
  esac
  shift
done
die() { echo "bench/run.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (it runs containers)"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
command -v node >/dev/null || die "needs node"
[ -x "$tsrun" ] || die "no tsrun at $tsrun"
[ -f "$(dirname "$tsrun")/../dist/tsrun.js" ] || die "no build next to $tsrun: npm run build"
[ -x "$repo/bundles/busybox/rootfs/bin/true" ] || die "no busybox rootfs: bash scripts/setup-bundles.sh"

missing=()
for p in hyperfine runc crun time; do
  bin=$p; [ $p = time ] && bin=/usr/bin/time
  command -v "$bin" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ $install = 1 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    for p in hyperfine runc; do
      [[ " ${missing[*]} " == *" $p "* ]] && die "needs $p: apt-get install -y ${missing[*]} (or run with --install)"
    done
    echo "note: not installed: ${missing[*]} (apt-get install -y ${missing[*]}, or --install); skipped" >&2
  fi
fi

work=$(mktemp -d /tmp/tsrun-bench.XXXXXX)
p="bench$$"  # container ids: unique to this run, so nothing of anyone else's is touched
declare -A root
root[tsrun]=$(mktemp -d /run/tsrun-bench.XXXXXX)
root[runc]=$(mktemp -d /run/runc-bench.XXXXXX)
root[crun]=$(mktemp -d /run/crun-bench.XXXXXX)
declare -A cli=([tsrun]="$tsrun --root ${root[tsrun]}" [runc]="runc --root ${root[runc]}" [crun]="crun --root ${root[crun]}")
runtimes=(tsrun runc)

cleanup() {
  trap - EXIT INT TERM
  for rt in tsrun runc crun; do
    [ -d "${root[$rt]}" ] || continue
    # Every container of this run, whatever state it was left in (its cgroup goes with it).
    for id in $(${cli[$rt]} list -q 2>/dev/null || true); do
      ${cli[$rt]} delete --force "$id" >/dev/null 2>&1 || true
    done
    rm -rf "${root[$rt]}"
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bundles: the demo config on the shared busybox rootfs, running `true` and `sleep`.
mkdir -p "$work/true" "$work/sleep" "$work/userns"
node -e '
const fs = require("fs");
const [repo, work] = process.argv.slice(1);
const c = JSON.parse(fs.readFileSync(repo + "/bundles/demo/config.json", "utf8"));
c.root.path = repo + "/bundles/busybox/rootfs";
// Every field used is in runtime-spec 1.0; older crun releases (1.8 in Debian 12) refuse newer
// versions, so the bundle says 1.0.2 and crun runs it wherever it runs at all.
c.ociVersion = "1.0.2";
c.process.args = ["true"];
fs.writeFileSync(work + "/true/config.json", JSON.stringify(c, null, 2));
c.process.args = ["sleep", "100000"];
fs.writeFileSync(work + "/sleep/config.json", JSON.stringify(c, null, 2));
c.process.args = ["true"];
c.linux.namespaces.push({ type: "user" });
const maps = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];
c.linux.uidMappings = maps;
c.linux.gidMappings = maps;
fs.writeFileSync(work + "/userns/config.json", JSON.stringify(c, null, 2));
' "$repo" "$work"

# --prepare helpers. fresh-running: a running `sleep` container (replacing the last one killed).
# fresh-stopped: a container whose process has exited (`true`), polled until state says so.
cat >"$work/fresh-running" <<EOF
#!/bin/sh
# usage: fresh-running ID RUNTIME-CLI...
id=\$1; shift
"\$@" delete --force "\$id" >/dev/null 2>&1
exec "\$@" run -d --bundle $work/sleep "\$id" </dev/null >/dev/null 2>&1
EOF
cat >"$work/fresh-stopped" <<EOF
#!/bin/sh
# usage: fresh-stopped ID RUNTIME-CLI...
id=\$1; shift
"\$@" run -d --bundle $work/true "\$id" </dev/null >/dev/null 2>&1 || exit 1
n=0
until "\$@" state "\$id" 2>/dev/null | grep -q '"stopped"'; do
  n=\$((n + 1)); [ \$n -lt 500 ] || exit 1
  sleep 0.01
done
EOF
chmod +x "$work/fresh-running" "$work/fresh-stopped"

# crun is compared only when it works here: one `run` of `true` must succeed.
crun_note=""
if command -v crun >/dev/null; then
  if out=$(${cli[crun]} run --bundle "$work/true" "$p-probe" </dev/null 2>&1); then
    runtimes+=(crun)
  else
    crun_note="crun does not run on this host ($(printf '%s' "$out" | head -1)); its column is left out"
  fi
  ${cli[crun]} delete --force "$p-probe" >/dev/null 2>&1 || true
else
  crun_note="crun is not installed (apt-get install -y crun); its column is left out"
fi
[ -z "$crun_note" ] || echo "note: $crun_note" >&2

# Long-lived containers for state, list and exec.
for rt in "${runtimes[@]}"; do
  ${cli[$rt]} create --bundle "$work/true" "$p-created" </dev/null >/dev/null 2>&1 || die "$rt create failed"
  ${cli[$rt]} run -d --bundle "$work/sleep" "$p-sleep" </dev/null >/dev/null 2>&1 || die "$rt run -d failed"
done

# One hyperfine invocation: every command with its own --prepare (`true` where none is needed).
# hyperfine runs the commands one after another, so the runtimes of one verb sit next to each other
# (their ratios see the same load), and `node -e 0` runs first and last: the targets use the lower.
args=(-N --warmup 3 --runs "$runs" --export-json "$work/hyperfine.json")
add() { args+=(-n "$1" --prepare "$2" "$3"); }
add "node -e 0" true "node -e 0"
for verb in run run-userns create+start+delete state kill list delete exec; do
  for rt in "${runtimes[@]}"; do
    c=${cli[$rt]}
    case $verb in
      run) add "$rt run" true "$c run --bundle $work/true $p-run" ;;
      run-userns) add "$rt run-userns" true "$c run --bundle $work/userns $p-runu" ;;
      create+start+delete) add "$rt $verb" true "sh -c '$c create --bundle $work/true $p-csd && $c start $p-csd && $c delete --force $p-csd'" ;;
      state) add "$rt state" true "$c state $p-created" ;;
      kill) add "$rt kill" "$work/fresh-running $p-kill $c" "$c kill $p-kill KILL" ;;
      list) add "$rt list" true "$c list" ;;
      delete) add "$rt delete" "$work/fresh-stopped $p-del $c" "$c delete $p-del" ;;
      exec) add "$rt exec" true "$c exec $p-sleep true" ;;
    esac
  done
done
add "node -e 0 (again)" true "node -e 0"
env -u NODE_EXTRA_CA_CERTS hyperfine "${args[@]}" </dev/null >&2

# Memory of the waiting init stage: the process a created container's pid names, before `start`.
: >"$work/rss.tsv"
for rt in "${runtimes[@]}"; do
  pid=$(${cli[$rt]} state "$p-created" | node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0, "utf8")).pid))')
  st=$(awk '/^(VmHWM|VmRSS|RssAnon|RssFile):/{printf "%s=%s ", $1, $2}' "/proc/$pid/status")
  pss=$(awk '/^Pss:/{print $2}' "/proc/$pid/smaps_rollup")
  printf '%s\twait\t%s Pss:=%s\n' "$rt" "$st" "$pss" >>"$work/rss.tsv"
done
# The floor any Node process starts from: a bare `node` reading its own status once it is up
# (fs.writeSync: process.stdout on a pipe would load net and streams, 2 MB more than the floor).
env -u NODE_EXTRA_CA_CERTS node -e 'const fs = require("fs"); fs.writeSync(1, fs.readFileSync("/proc/self/status", "utf8"))' |
  awk '/^(VmHWM|VmRSS|RssAnon|RssFile):/{printf "%s=%s ", $1, $2} END{print ""}' |
  { read -r st; printf 'node\twait\t%s\n' "$st"; } >>"$work/rss.tsv"
# Peak RSS of one `run`, median of 5 (GNU time -f %M: KiB).
if [ -x /usr/bin/time ]; then
  for rt in "${runtimes[@]}"; do
    for i in 1 2 3 4 5; do
      env -u NODE_EXTRA_CA_CERTS /usr/bin/time -f %M -o "$work/maxrss" ${cli[$rt]} run --bundle "$work/true" "$p-rss" </dev/null >/dev/null 2>&1
      cat "$work/maxrss"
    done | sort -n | sed -n 3p | { read -r kb; printf '%s\trun\tmaxrss=%s\n' "$rt" "$kb"; } >>"$work/rss.tsv"
  done
else
  echo "note: no GNU time (apt-get install -y time): peak RSS of \`run\` not measured" >&2
fi

mkdir -p "$repo/bench/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
cp "$work/hyperfine.json" "$repo/bench/results/$stamp.json"
{
  echo "host: $(uname -r), $(nproc) cpus, node $(node --version), $(runc --version | head -1)$(command -v crun >/dev/null && echo ", $(crun --version | head -1)"), $(hyperfine --version), tsrun $tsrun"
  [ -z "$crun_note" ] || echo "note: $crun_note"
} >"$work/host.txt"
node "$repo/bench/report.mjs" "$work/hyperfine.json" "$work/rss.tsv" "$work/host.txt" "${runtimes[*]}" | tee "$repo/bench/results/$stamp.md"
echo "(also in bench/results/$stamp.md and .json)" >&2
