// Joining a user namespace and a time namespace by `path` (config-linux.md "Namespaces"), which
// needs a single-threaded caller and so goes through the trampoline (src/launcher/nsexec.c), and
// exec into a container with its own time namespace; then the user-namespace configs tsrun
// refuses, each with one clear line and nothing left. See userns.test.ts for the maps used.
import fs from 'node:fs';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, delay, makeStateRoot, quiet, skipReason, stateOf, tsrun, uniqueId,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

const BASE = 200000;
type IdMap = { containerID: number; hostID: number; size: number };

function withUserNs(c: any, maps: IdMap[]): void {
  quiet(c);
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = maps;
  c.linux.gidMappings = maps;
}

function run(t: any, script: string, mutate: (c: any) => void) {
  const bundle = bundleFor(t, (c) => {
    c.process.args = ['sh', '-c', script];
    mutate(c);
  });
  return tsrun(root, ['run', '--bundle', bundle, uniqueId('userns')]);
}

t.test('joining a user namespace (and its owned namespaces) by path', { skip: skipReason }, async (t) => {
  const maps = [{ containerID: 0, hostID: BASE, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];
  const first = bundleFor(t, (c) => {
    withUserNs(c, maps);
    c.process.args = ['sleep', '1000'];
  });
  const a = uniqueId('userns');
  t.teardown(() => tsrun(root, ['delete', '--force', a]));
  t.equal(tsrun(root, ['run', '--detach', '--bundle', first, a]).status, 0);
  const pid = stateOf(root, a)?.pid as number;
  // A second container in the first one's user and network namespaces, with a mount, PID, UTS
  // and IPC namespace of its own, owned by that user namespace.
  const r = run(t, 'echo id=$(id -u); readlink /proc/self/ns/user; readlink /proc/self/ns/net; echo map=$(tr -s " " < /proc/self/uid_map | tr "\\n" ";")', (c) => {
    quiet(c);
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network');
    c.linux.namespaces.push({ type: 'user', path: `/proc/${pid}/ns/user` }, { type: 'network', path: `/proc/${pid}/ns/net` });
  });
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split('\n');
  t.equal(out[0], 'id=0', 'root in the joined user namespace');
  t.equal(out[1], fs.readlinkSync(`/proc/${pid}/ns/user`), 'the very same user namespace');
  t.equal(out[2], fs.readlinkSync(`/proc/${pid}/ns/net`), 'the very same network namespace');
  t.equal(out[3], `map= 0 ${BASE} 1000; 1000 0 1;`, 'its maps');
  t.equal(tsrun(root, ['delete', '--force', a]).status, 0);
  assertNoLeaks(t, root);
});

const noTimeNs = !fs.existsSync('/proc/self/ns/time') && 'this kernel has no time namespaces (CONFIG_TIME_NS, Linux 5.6+)';
t.test('joining a time namespace by path, and exec into it', { skip: skipReason || noTimeNs }, async (t) => {
  const first = bundleFor(t, (c) => {
    quiet(c);
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { boottime: { secs: 86400 * 400, nanosecs: 0 } };
    c.process.args = ['sleep', '1000'];
  });
  const a = uniqueId('timens');
  t.teardown(() => tsrun(root, ['delete', '--force', a]));
  t.equal(tsrun(root, ['run', '--detach', '--bundle', first, a]).status, 0);
  const pid = stateOf(root, a)?.pid as number;
  const r = run(t, 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime', (c) => {
    quiet(c);
    c.linux.namespaces.push({ type: 'time', path: `/proc/${pid}/ns/time` });
  });
  t.equal(r.status, 0, r.stderr);
  const [ns, up] = r.stdout.trim().split('\n');
  t.equal(ns, fs.readlinkSync(`/proc/${pid}/ns/time`), 'the very same time namespace');
  t.ok(Number(up) >= 86400 * 400, `its boottime offset shows in /proc/uptime (${up})`);
  const e = tsrun(root, ['exec', a, 'cut', '-d.', '-f1', '/proc/uptime']);
  t.equal(e.status, 0, e.stderr);
  t.ok(Number(e.stdout.trim()) >= 86400 * 400, 'exec joins the container\'s time namespace');
  await delay(1);
  t.equal(tsrun(root, ['delete', '--force', a]).status, 0);
  assertNoLeaks(t, root);
});

t.test('refused clearly, leaving nothing', { skip: skipReason }, async (t) => {
  const cases: Array<[string, (c: any) => void, RegExp]> = [
    ['no uidMappings', (c) => { withUserNs(c, [{ containerID: 0, hostID: BASE, size: 10 }]); delete c.linux.uidMappings; }, /uidMappings: is required with a new user namespace/],
    ['uid 0 not mapped', (c) => withUserNs(c, [{ containerID: 1, hostID: BASE, size: 10 }]), /must map container uid 0/],
    ['process uid not mapped', (c) => { withUserNs(c, [{ containerID: 0, hostID: BASE, size: 10 }]); c.process.user.uid = 50; }, /uid 50 is not mapped/],
    ['overlapping ranges (the kernel says EINVAL)', (c) => withUserNs(c, [{ containerID: 0, hostID: BASE, size: 10 }, { containerID: 5, hostID: BASE + 100, size: 10 }]), /uid_map: EINVAL/],
    ['no mount namespace', (c) => { withUserNs(c, [{ containerID: 0, hostID: BASE, size: 10 }]); c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount'); c.mounts = []; c.root.readonly = false; c.linux.maskedPaths = []; c.linux.readonlyPaths = []; }, /needs a mount namespace/],
  ];
  for (const [name, mutate, pattern] of cases) {
    const r = run(t, 'true', mutate);
    t.equal(r.status, 1, name);
    assertCleanError(t, r, pattern);
  }
  assertNoLeaks(t, root);
});
