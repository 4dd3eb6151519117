#!/usr/bin/env bash
# Times tsrun against Debian's runc on the same bundle with hyperfine (medians, same run):
#   1. `run` of a container whose process is `true`
#   2. create + start + delete of the same container
#   3. `state` of a created container (the cost of one CLI start)
#   4. `exec ID true` in a running container
# Needs root, a build (`npm run build`), and the packages runc and hyperfine (installed if missing).
# Results: bench/results/<date>.md (and .json from hyperfine). Not part of the test suite.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
command -v runc >/dev/null && command -v hyperfine >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc hyperfine >/dev/null
}
runs=${RUNS:-30}
out="$repo/bench/results"
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

bundle=$(mktemp -d /tmp/tsrun-bench-XXXX)
sbundle=$(mktemp -d /tmp/tsrun-bench-XXXX)
troot=$(mktemp -d /run/tsrun-bench-XXXX)
rroot=$(mktemp -d /run/runc-bench-XXXX)
cleanup() {
  "$repo/bin/tsrun" --root "$troot" delete --force bc >/dev/null 2>&1 || true
  "$repo/bin/tsrun" --root "$troot" delete --force bs >/dev/null 2>&1 || true
  runc --root "$rroot" delete --force bc >/dev/null 2>&1 || true
  runc --root "$rroot" delete --force bs >/dev/null 2>&1 || true
  "$repo/bin/tsrun" --root "$troot" delete --force bx >/dev/null 2>&1 || true
  runc --root "$rroot" delete --force bx >/dev/null 2>&1 || true
  rm -rf "$bundle" "$sbundle" "$troot" "$rroot"
}
trap cleanup EXIT

# The demo bundle's config, running `true`, on the shared busybox rootfs.
node -e '
const fs = require("fs");
const c = JSON.parse(fs.readFileSync(process.argv[1] + "/bundles/demo/config.json", "utf8"));
c.root.path = process.argv[1] + "/bundles/busybox/rootfs";
c.process.args = ["true"];
fs.writeFileSync(process.argv[2] + "/config.json", JSON.stringify(c, null, 2));
c.process.args = ["sleep", "1000"];
fs.writeFileSync(process.argv[3] + "/config.json", JSON.stringify(c, null, 2));
' "$repo" "$bundle" "$sbundle"

T="$repo/bin/tsrun --root $troot"
R="runc --root $rroot"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/$stamp-run.json" \
  -n "tsrun run" "$T run --bundle $bundle br" \
  -n "runc run" "$R run --bundle $bundle br"
hyperfine --warmup 3 --runs "$runs" --export-json "$out/$stamp-lifecycle.json" \
  -n "tsrun create+start+delete" "$T create --bundle $bundle bc && $T start bc && $T delete --force bc" \
  -n "runc create+start+delete" "$R create --bundle $bundle bc && $R start bc && $R delete --force bc"
$T create --bundle "$bundle" bs >/dev/null
$R create --bundle "$bundle" bs >/dev/null
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/$stamp-state.json" \
  -n "tsrun state" "$T state bs" \
  -n "runc state" "$R state bs"

$T run -d --bundle "$sbundle" bx >/dev/null
$R run -d --bundle "$sbundle" bx >/dev/null
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/$stamp-exec.json" \
  -n "tsrun exec" "$T exec bx true" \
  -n "runc exec" "$R exec bx true"

node -e '
const fs = require("fs");
const [dir, stamp] = process.argv.slice(1);
let md = `# tsrun vs runc, ${stamp}\n\n| command | median (ms) | mean ± σ (ms) | max RSS (KiB) |\n|---|---|---|---|\n`;
for (const f of ["run", "lifecycle", "state", "exec"]) {
  const j = JSON.parse(fs.readFileSync(`${dir}/${stamp}-${f}.json`, "utf8"));
  for (const r of j.results) {
    const rss = r.memory_usage_byte ? Math.round(Math.max(...r.memory_usage_byte) / 1024) : "";
    md += `| ${r.command} | ${(r.median * 1000).toFixed(1)} | ${(r.mean * 1000).toFixed(1)} ± ${(r.stddev * 1000).toFixed(1)} | ${rss} |\n`;
  }
}
fs.writeFileSync(`${dir}/${stamp}.md`, md);
process.stdout.write(md);
' "$out" "$stamp"
