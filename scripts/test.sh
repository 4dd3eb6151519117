#!/usr/bin/env bash
# The whole test suite, in layers: typecheck, unit tests (no root), integration tests (root, real
# containers), the conformance suite, then a check that nothing was left on the machine.
# Ends with one line "N passed, M failed" summing every layer.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail=0
node scripts/gen-validators.mjs >/dev/null
echo "== typecheck"
npx tsc --noEmit -p . || fail=1

echo "== unit and integration tests (tap)"
tap_out=$(mktemp)
npx tap --reporter=tap test/unit test/integration 2>&1 | tee "$tap_out"
tap_rc=${PIPESTATUS[0]}
[ "$tap_rc" = 0 ] || fail=1
# tap's TAP output: count top-level "ok"/"not ok" lines of every subtest.
tap_pass=$(grep -cE '^\s*ok [0-9]+' "$tap_out" || true)
tap_fail=$(grep -cE '^\s*not ok [0-9]+' "$tap_out" || true)
rm -f "$tap_out"

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
echo "$passed passed, $failed failed"
exit "$fail"
