// Tests for src/security/rlimit-table.ts: spec rlimit type names -> resource numbers.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { ALL_RLIMIT_NAMES, RLIMITS, RLIM_INFINITY, rlimitResource } from '../../src/security/rlimit-table';

t.test('the 16 Linux rlimits, numbered 0..15', async (t) => {
  t.equal(ALL_RLIMIT_NAMES.length, 16);
  ALL_RLIMIT_NAMES.forEach((name, i) => t.equal(RLIMITS[name], i, name));
  const expected: Array<[string, number]> = [
    ['RLIMIT_CPU', 0], ['RLIMIT_FSIZE', 1], ['RLIMIT_DATA', 2], ['RLIMIT_STACK', 3], ['RLIMIT_CORE', 4],
    ['RLIMIT_RSS', 5], ['RLIMIT_NPROC', 6], ['RLIMIT_NOFILE', 7], ['RLIMIT_MEMLOCK', 8], ['RLIMIT_AS', 9],
    ['RLIMIT_LOCKS', 10], ['RLIMIT_SIGPENDING', 11], ['RLIMIT_MSGQUEUE', 12], ['RLIMIT_NICE', 13],
    ['RLIMIT_RTPRIO', 14], ['RLIMIT_RTTIME', 15],
  ];
  for (const [name, num] of expected) t.equal(rlimitResource(name), num, name);
});

t.test('unknown types map to undefined (the caller reports a spec error)', async (t) => {
  t.equal(rlimitResource('RLIMIT_FOO'), undefined);
  t.equal(rlimitResource('rlimit_nofile'), undefined, 'case-sensitive');
  t.equal(rlimitResource('NOFILE'), undefined, 'RLIMIT_ prefix required');
  t.equal(rlimitResource('constructor'), undefined, 'no prototype keys');
  t.equal(rlimitResource(''), undefined);
});

t.test('RLIM_INFINITY is the u64 all-ones value', async (t) => {
  t.equal(RLIM_INFINITY, 2n ** 64n - 1n);
});

const header = '/usr/include/asm-generic/resource.h';
t.test('matches asm-generic/resource.h', { skip: existsSync(header) ? false : `${header} not installed` }, async (t) => {
  const defs = new Map<string, number>();
  for (const m of readFileSync(header, 'utf8').matchAll(/^#\s*define\s+(RLIMIT_[A-Z]+)\s+(\d+)/gm)) defs.set(m[1], Number(m[2]));
  for (const name of ALL_RLIMIT_NAMES) t.equal(defs.get(name), RLIMITS[name], name);
  t.equal(defs.size, ALL_RLIMIT_NAMES.length, 'nothing in the header is missing');
});
