#!/usr/bin/env bash
# The whole test suite, in layers: typecheck, lint, unit tests (no root), integration tests (root, real
# containers), the container-manager client tests (containerd/ctr, podman, dockerd with tsrun as
# their runtime; TSRUN_CLIENT_RUNTIME picks another runtime), the reliability suite
# (test/reliability/: many lifecycles, SIGKILL at every step, mutated configs), the whole-machine
# leak check (test/integration/zz-leaks.test.ts), then the conformance suite.
# Ends with one line "N passed, M failed" summing every layer, in tests (see the end).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail=0
# What is on the machine before any test runs (a user's own containers, earlier leftovers): the
# final leak check (zz-leaks.test.ts) lists it and counts only what the suite leaves.
leak_baseline=$(mktemp)
trap 'rm -f "$leak_baseline"' EXIT
npx ts-node-transpile-only test/lib/leak-baseline.ts "$leak_baseline" || fail=1
export TSRUN_LEAK_BASELINE="$leak_baseline"
node scripts/gen-validators.mjs >/dev/null
echo "== typecheck"
npx tsc --noEmit -p . || fail=1
npx tsc --noEmit -p conformance || fail=1
echo "== lint"
npm run --silent lint || fail=1

tap_out=$(mktemp)
# One tap run per layer, all into $tap_out. The leak check comes last among them: the client and
# reliability tests must leave nothing behind either. (tap is given files, not test/clients: it would run the
# helpers in test/clients/lib as test files.)
run_tap() {
  npx tap --reporter=tap "$@" 2>&1 | tee -a "$tap_out"
  [ "${PIPESTATUS[0]}" = 0 ] || fail=1
}
shopt -s nullglob
integration=()
for f in test/integration/*.test.ts; do
  case "$f" in */zz-leaks*) ;; *) integration+=("$f") ;; esac
done
echo "== unit and integration tests (tap)"
run_tap test/unit "${integration[@]}"
echo "== container manager clients (tap)"
clients=(test/clients/*.test.ts)
[ "${#clients[@]}" = 0 ] || run_tap "${clients[@]}"
echo "== reliability (tap)"
# Its files are independent (own state roots and ids) and mostly wait on tsrun's start-up: two at
# a time overlap the back-to-back lifecycles with the CPU-bound mutated configs.
reliability=(test/reliability/*.test.ts)
[ "${#reliability[@]}" = 0 ] || run_tap --jobs=2 "${reliability[@]}"
echo "== leak check (tap)"
leak_checks=(test/integration/zz-leaks*.test.ts)
[ "${#leak_checks[@]}" = 0 ] || run_tap "${leak_checks[@]}"
# tap's TAP output, counted by scripts/count-tap.mjs: each test once, at depth 1 (the top-level
# t.test() calls of every test file), not the assertions inside them; skipped and todo tests
# apart; a file that fails outside its tests counts as one failed test.
read -r tap_pass tap_fail tap_skip < <(node scripts/count-tap.mjs "$tap_out" || true)
if ! [[ "${tap_pass:-}" =~ ^[0-9]+$ && "${tap_fail:-}" =~ ^[0-9]+$ && "${tap_skip:-}" =~ ^[0-9]+$ ]]; then
  echo "could not count the tap output" >&2
  tap_pass=0 tap_fail=1 tap_skip=0 fail=1
fi
rm -f "$tap_out"
echo "== tap: $tap_pass tests passed, $tap_fail failed, $tap_skip skipped (top-level tests of each file)"

echo "== conformance"
conf_out=$(mktemp)
node conformance/run.mjs 2>&1 | tee "$conf_out"
conf_rc=${PIPESTATUS[0]}
[ "$conf_rc" = 0 ] || fail=1
conf_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$conf_out" | tail -n 1)
rm -f "$conf_out"
conf_pass=$(echo "$conf_line" | sed -E 's/^([0-9]+) passed.*/\1/')
conf_fail=$(echo "$conf_line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
[ -n "$conf_pass" ] || { conf_pass=0; conf_fail=1; fail=1; }

passed=$((tap_pass + conf_pass))
failed=$((tap_fail + conf_fail))
[ "$fail" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo
# The closing line counts tests, not assertions: tap's at depth 1 (each top-level t.test() of a
# test file, counted by scripts/count-tap.mjs) plus conformance cases (one per spec rule, its own
# "N passed, M failed" line); skipped ones are in neither number. A failure anywhere, nested
# assertions included, makes its top-level test fail, so M > 0 whenever the exit status is not 0.
echo "$passed passed, $failed failed"
exit "$fail"
