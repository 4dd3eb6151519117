#!/usr/bin/env node
// Counts tests in the TAP stream of `tap --reporter=tap` (TAP version 14), for scripts/test.sh.
//
//   node scripts/count-tap.mjs FILE     prints "PASSED FAILED SKIPPED" (three numbers, one line)
//
// What is counted: each test once, at depth 1 of the stream. tap runs every test file as a
// subtest of its own (depth 0, "ok 3 - test/unit/cli.test.ts"); inside it, at depth 1 (indented
// four spaces), come the file's top-level `t.test(...)` calls (and any assertion a file makes at
// its top level). Those are the tests; the assertions inside them (depth 2 and deeper) are not
// counted, and neither are nested subtests: tap already marks a test "not ok" when anything
// inside it failed, at any depth.
//   - "ok" is passed; "ok ... # SKIP" and "... # TODO" (TAP: a todo never fails) are skipped.
//   - "not ok" is failed.
//   - A file whose own point (depth 0) is "not ok" without any failed test at depth 1 (it threw
//     before its first test, its plan did not match, it was killed between tests) counts as one
//     failed test, so that a failing file can never end with 0 failed.
// YAML diagnostic blocks ("---" ... "...") are skipped: they quote source code and output.
import fs from 'node:fs';

const POINT = /^((?: {4})*)(not )?ok\b(?: \d+)?(.*)$/;
/** An unescaped SKIP/TODO directive (tap writes a literal "#" in a name as "\#"). */
const DIRECTIVE = /(?:^|[^\\])#\s*(skip|todo)\b/i;

/** { passed, failed, skipped } of a TAP text, counted as described above. */
export function countTap(text) {
  const out = { passed: 0, failed: 0, skipped: 0 };
  let yamlEnd; // the line that closes the YAML block we are in
  let fileFailed = 0; // failed depth-1 tests of the file being read
  let fileTests = 0; // depth-1 test points of the file being read
  for (const line of text.split('\n')) {
    if (yamlEnd !== undefined) {
      if (line === yamlEnd) yamlEnd = undefined;
      continue;
    }
    const yaml = /^(\s*)---$/.exec(line);
    if (yaml) {
      yamlEnd = `${yaml[1]}...`;
      continue;
    }
    const m = POINT.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    const notOk = m[2] !== undefined;
    const directive = DIRECTIVE.exec(m[3])?.[1]?.toLowerCase();
    if (depth === 1) {
      fileTests++;
      if (directive === 'todo' || (directive === 'skip' && !notOk)) out.skipped++;
      else if (notOk) {
        out.failed++;
        fileFailed++;
      } else out.passed++;
    } else if (depth === 0) {
      // The end of one file's subtest.
      if (notOk && directive !== 'todo' && fileFailed === 0) out.failed++;
      else if (!notOk && directive === 'skip' && fileTests === 0) out.skipped++;
      fileFailed = 0;
      fileTests = 0;
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: count-tap.mjs FILE\n');
    process.exit(2);
  }
  const { passed, failed, skipped } = countTap(fs.readFileSync(file, 'utf8'));
  process.stdout.write(`${passed} ${failed} ${skipped}\n`);
}
