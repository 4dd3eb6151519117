// The namespace window (src/launcher/parent/ns-window.ts withNamespaces) against the recording fake
// Sys: CLONE_FS unshared once, every namespace fd opened before the first setns, joins then one
// unshare for the new ones, the mount namespace entered last, time offsets before the spawn, the
// spawn inside, and every namespace restored in reverse order in the `finally`, whatever failed
// (docs/ARCHITECTURE.md section 1, "The namespace window"; setns(2), time_namespaces(7)).
import t from 'tap';
import { withNamespaces } from '../../src/launcher/parent/ns-window';
import type { NsRequest } from '../../src/stage-config/namespaces';
import { NAMESPACE_TABLE } from '../../src/linux/namespace-table';
import { CLONE_FS } from '../../src/sys/constants';
import { RuntimeError } from '../../src/errors';
import { FakeSys, type SysCall } from '../lib/fake-sys';

const F = (t: keyof typeof NAMESPACE_TABLE): number => NAMESPACE_TABLE[t].flag;
const NETNS = '/var/run/netns/n1';

/** Each call as one line, fds shown as the paths they were opened for. */
function lines(f: FakeSys): string[] {
  return f.calls.map((c) => line(c, (n) => f.pathOf(n)));
}
function line(c: SysCall, fdName: (n: unknown) => string): string {
  switch (c.name) {
    case 'open': return `open ${c.args[0]}`;
    case 'setns': return `setns ${fdName(c.args[0])} ${flagNames(c.args[1] as number)}`;
    case 'unshare': return `unshare ${flagNames(c.args[0] as number)}`;
    case 'close': return `close ${fdName(c.args[0])}`;
    case 'note': return String(c.args[0]);
    default: return `${c.name} ${c.args.map(String).join(' ')}`;
  }
}
function flagNames(flags: number): string {
  const names: string[] = (Object.keys(NAMESPACE_TABLE) as (keyof typeof NAMESPACE_TABLE)[]).filter((k) => flags & F(k));
  if (flags & CLONE_FS) names.unshift('fs');
  return names.join('|');
}

const window: NsRequest[] = [
  { type: 'mount' }, { type: 'uts' }, { type: 'network', path: NETNS }, { type: 'pid' }, { type: 'ipc' },
];

t.test('open everything, join, unshare the rest, spawn, restore in reverse order', async (t) => {
  const f = new FakeSys();
  const cwd = process.cwd();
  const r = withNamespaces(f.sys, window, undefined, () => {
    f.note('spawn');
    return 42;
  });
  t.equal(r, 42, 'the spawn\'s result');
  t.same(lines(f), [
    'unshare fs',                                      // a private fs_struct, or setns into mnt is EINVAL
    'open /proc/thread-self/ns/pid_for_children',      // what to go back to, opened in the host view
    'open /proc/thread-self/ns/net',
    'open /proc/thread-self/ns/ipc',
    'open /proc/thread-self/ns/uts',
    'open /proc/thread-self/ns/mnt',
    `open ${NETNS}`,                                   // the joined path, before any setns
    `setns ${NETNS} network`,
    'unshare pid|mount|ipc|uts',                      // the new ones in one call
    'spawn',
    'setns /proc/thread-self/ns/mnt mount',            // mount first: entered last, left first
    'close /proc/thread-self/ns/mnt',
    'setns /proc/thread-self/ns/uts uts',
    'close /proc/thread-self/ns/uts',
    'setns /proc/thread-self/ns/ipc ipc',
    'close /proc/thread-self/ns/ipc',
    'setns /proc/thread-self/ns/net network',
    'close /proc/thread-self/ns/net',
    'setns /proc/thread-self/ns/pid_for_children pid',
    'close /proc/thread-self/ns/pid_for_children',
    `close ${NETNS}`,
    `chdir ${cwd}`,                                    // setns into a mount namespace reset it
  ]);
  t.same(f.openFds(), [], 'every fd closed');

  // The thread keeps its own fs_struct: a second window does not unshare it again.
  f.calls.length = 0;
  withNamespaces(f.sys, [{ type: 'uts' }], undefined, () => f.note('spawn'));
  t.same(lines(f), ['open /proc/thread-self/ns/uts', 'unshare uts', 'spawn', 'setns /proc/thread-self/ns/uts uts', 'close /proc/thread-self/ns/uts', `chdir ${cwd}`]);
});

t.test('a new time namespace: offsets written after the unshare and before the spawn, nothing to restore', async (t) => {
  const f = new FakeSys();
  withNamespaces(f.sys, [{ type: 'time' }, { type: 'pid' }], { monotonic: { secs: 5, nanosecs: 0 }, boottime: { secs: -3, nanosecs: 7 } }, () => f.note('spawn'));
  const l = lines(f);
  const unshare = l.indexOf('unshare pid|time');
  t.ok(unshare > 0, 'one unshare for both');
  t.same(l.slice(unshare + 1, unshare + 4), [
    'writeFile /proc/self/timens_offsets monotonic 5 0', // one line per write: the kernel parses one per call
    'writeFile /proc/self/timens_offsets boottime -3 7',
    'spawn',
  ]);
  t.notOk(l.some((x) => x.includes('ns/time')), 'time_for_children is neither saved nor set back (setns needs a single thread)');
});

t.test('a joined path that is not that namespace: EINVAL named, nothing new made, everything restored', async (t) => {
  const f = new FakeSys().fail('setns', 'EINVAL', (_fd: unknown, _t: unknown, p: unknown) => p === NETNS);
  let spawned = false;
  const err = t.throws(() => withNamespaces(f.sys, window, undefined, () => (spawned = true)));
  t.ok(err instanceof RuntimeError);
  t.match(err, { message: `${NETNS} is not a network namespace (or cannot be joined)` });
  t.notOk(spawned, 'no spawn');
  const l = lines(f);
  t.notOk(l.some((x) => x.startsWith('unshare pid')), 'no namespace created');
  t.same(l.filter((x) => x.startsWith('setns /proc')).length, 5, 'each of the five saved namespaces set back');
  t.same(f.openFds(), [], 'every fd closed');
});

t.test('a missing join path: the open fails before any setns, the saved fds are closed', async (t) => {
  const f = new FakeSys().fail('open', 'ENOENT', (p: unknown) => p === NETNS);
  t.throws(() => withNamespaces(f.sys, window, undefined, () => f.note('spawn')), { message: `open namespace ${NETNS}: ENOENT` });
  const l = lines(f);
  t.notOk(l.includes('spawn'));
  t.notOk(l.some((x) => x.startsWith(`setns ${NETNS}`) || x.startsWith('unshare pid')), 'nothing entered');
  t.same(f.openFds(), [], 'every fd closed');
});

t.test('a failing spawn still restores every namespace', async (t) => {
  const f = new FakeSys();
  t.throws(() => withNamespaces(f.sys, [{ type: 'uts' }, { type: 'mount' }], undefined, () => {
    throw new Error('spawn EAGAIN');
  }), { message: 'spawn EAGAIN' });
  const l = lines(f);
  t.same(l.filter((x) => x.startsWith('setns')), ['setns /proc/thread-self/ns/mnt mount', 'setns /proc/thread-self/ns/uts uts']);
  t.same(f.openFds(), []);
});

t.test('a user namespace never enters the window: refused before any call', async (t) => {
  const f = new FakeSys();
  t.throws(() => withNamespaces(f.sys, [{ type: 'user' }, { type: 'mount' }], undefined, () => 0), /user namespace cannot be entered/);
  t.same(f.calls, []);
});
