// Namespaces (config-linux.md "Namespaces", "Time offsets"; config.md hostname/domainname), seen
// from inside the container and compared with the host: new ones differ from the host's, joined
// ones (by `path`) are the very same namespace, a `path` of the wrong type or an id-mapped mount
// that is not a bind is refused with one clear error and nothing left (user namespaces:
// userns.test.ts; id-mapped binds: userns-idmap.test.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, runScript, skipReason, stateOf,
  tsrun, uniqueId,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

/** The inode in "ipc:[4026531839]". */
function nsInode(link: string): string {
  const m = /\[(\d+)\]/.exec(link);
  return m ? m[1] : link;
}

/** "key=value" lines printed by a probe script. */
function kv(out: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) o[line.slice(0, i)] = line.slice(i + 1);
  }
  return o;
}

t.test('uts: hostname and domainname', { skip: skipReason }, async (t) => {
  const r = runScript(root, 'echo host=$(hostname); echo dom=$(cat /proc/sys/kernel/domainname)', (c) => {
    quiet(c);
    c.hostname = 'box-one';
    c.domainname = 'example.test';
  });
  t.equal(r.status, 0, r.stderr);
  const v = kv(r.stdout);
  t.equal(v.host, 'box-one');
  t.equal(v.dom, 'example.test');
  t.not(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), 'box-one', 'the host keeps its hostname');
  assertNoLeaks(t, root);
});

t.test('pid, network, ipc, uts, mount: new namespaces differ from the host', { skip: skipReason }, async (t) => {
  const script = [
    'echo pid=$$',
    'echo links=$(ls /sys/class/net | tr "\\n" " ")',
    'for n in ipc net uts mnt pid; do echo ns_$n=$(readlink /proc/self/ns/$n); done',
    'echo comm1=$(cat /proc/1/comm)',
    'echo procs=$(cd /proc && echo [0-9]*)',
  ].join('; ');
  const r = runScript(root, script, quiet);
  t.equal(r.status, 0, r.stderr);
  const v = kv(r.stdout);
  t.equal(v.pid, '1', 'the program is PID 1');
  t.equal(v.links.trim(), 'lo', 'a new network namespace has only lo');
  t.equal(v.comm1, 'sh', '/proc/1 is the container\'s shell');
  // Only the shell and the few children of this probe: small pids, none of the host's.
  t.ok(v.procs.split(' ').every((p) => Number(p) < 50), `only the container's processes in /proc: ${v.procs}`);
  for (const n of ['ipc', 'net', 'uts', 'mnt', 'pid']) {
    t.not(nsInode(v[`ns_${n}`]), nsInode(fs.readlinkSync(`/proc/self/ns/${n}`)), `${n} namespace differs from the host's`);
  }
  assertNoLeaks(t, root);
});

t.test('a namespace type not listed is inherited from the runtime', { skip: skipReason }, async (t) => {
  const r = runScript(root, 'echo ns_ipc=$(readlink /proc/self/ns/ipc); echo ns_net=$(readlink /proc/self/ns/net)', (c) => {
    quiet(c);
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'ipc' && n.type !== 'network');
  });
  t.equal(r.status, 0, r.stderr);
  const v = kv(r.stdout);
  t.equal(nsInode(v.ns_ipc), nsInode(fs.readlinkSync('/proc/self/ns/ipc')), 'ipc is the host\'s');
  t.equal(nsInode(v.ns_net), nsInode(fs.readlinkSync('/proc/self/ns/net')), 'net is the host\'s');
  assertNoLeaks(t, root);
});

t.test('joining namespaces by path: another container\'s uts, a named netns', { skip: skipReason }, async (t) => {
  // Container A holds a uts namespace with its hostname.
  const a = uniqueId('nsa');
  const bundleA = bundleFor(t, (c) => {
    quiet(c);
    c.hostname = 'holder';
    c.process.args = ['sleep', '1000'];
  });
  t.equal(tsrun(root, ['create', '-b', bundleA, a]).status, 0);
  const pidA = stateOf(root, a)?.pid as number;
  t.ok(pidA > 0);

  // A network namespace made with ip-netns(8), with lo up so it can be told from a new one.
  const netns = `nstest-${process.pid}`;
  t.equal(spawnSync('ip', ['netns', 'add', netns]).status, 0, 'ip netns add');
  t.teardown(() => {
    spawnSync('ip', ['netns', 'del', netns]);
  });
  spawnSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
  const netnsInode = String(fs.statSync(`/run/netns/${netns}`).ino);

  const r = runScript(root, 'echo host=$(hostname); echo uts=$(readlink /proc/self/ns/uts); echo net=$(readlink /proc/self/ns/net); echo lo=$(cat /sys/class/net/lo/operstate)', (c) => {
    quiet(c);
    delete c.hostname; // setting it would change A's hostname too: the namespace is shared
    for (const n of c.linux.namespaces) {
      if (n.type === 'uts') n.path = `/proc/${pidA}/ns/uts`;
      if (n.type === 'network') n.path = `/run/netns/${netns}`;
    }
  });
  t.equal(r.status, 0, r.stderr);
  const v = kv(r.stdout);
  t.equal(v.host, 'holder', 'sees the hostname of the joined uts namespace');
  t.equal(nsInode(v.uts), nsInode(fs.readlinkSync(`/proc/${pidA}/ns/uts`)), 'same uts namespace inode as container A');
  t.equal(nsInode(v.net), netnsInode, 'same network namespace inode as the named netns');
  t.not(v.lo, 'down', 'lo is up, as set in the joined netns');

  t.equal(tsrun(root, ['delete', '--force', a]).status, 0);
  assertNoLeaks(t, root);
});

t.test('a namespace path of the wrong type fails create', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    for (const n of c.linux.namespaces) if (n.type === 'network') n.path = '/proc/self/ns/uts';
  });
  const r = tsrun(root, ['create', '-b', bundle, uniqueId('wrongns')]);
  assertCleanError(t, r, /network namespace/);
  const missing = bundleFor(t, (c) => {
    quiet(c);
    for (const n of c.linux.namespaces) if (n.type === 'ipc') n.path = '/nonexistent/ns/ipc';
  });
  const r2 = tsrun(root, ['create', '-b', missing, uniqueId('missingns')]);
  assertCleanError(t, r2, /\/nonexistent\/ns\/ipc/);
  assertNoLeaks(t, root);
});

t.test('cgroup namespace: the container sees its cgroup as /', { skip: skipReason }, async (t) => {
  const r = runScript(root, 'cat /proc/self/cgroup', (c) => {
    quiet(c);
    c.linux.namespaces.push({ type: 'cgroup' });
  });
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.ok(lines.length > 0);
  t.same(lines.filter((l) => !l.endsWith(':/')), [], 'every hierarchy is rooted at /');
  // Without a cgroup namespace the host path shows.
  const r2 = runScript(root, 'cat /proc/self/cgroup', quiet);
  t.match(r2.stdout, /\/tsrun\//, 'without cgroupns the host path is visible');
  assertNoLeaks(t, root);
});

// Time namespaces came in Linux 5.6 (CONFIG_TIME_NS); /proc/self/ns/time exists exactly when the
// kernel has them (time_namespaces(7)).
const noTimeNs = !fs.existsSync('/proc/self/ns/time') && 'this kernel has no time namespaces (no /proc/self/ns/time: CONFIG_TIME_NS, Linux 5.6+)';
t.test('time namespace with offsets', { skip: skipReason || noTimeNs }, async (t) => {
  const offset = 1_000_000;
  const r = runScript(root, 'cat /proc/uptime; cat /proc/self/timens_offsets', (c) => {
    quiet(c);
    c.linux.namespaces.push({ type: 'time' });
    // /proc/uptime reads CLOCK_BOOTTIME, so the boottime offset is the one that shows there.
    c.linux.timeOffsets = { boottime: { secs: offset, nanosecs: 0 }, monotonic: { secs: 2 * offset, nanosecs: 0 } };
  });
  t.equal(r.status, 0, r.stderr);
  const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const inside = Number(r.stdout.split(' ')[0]);
  // Inside = host + offset (+ the few seconds between the two reads, bounded loosely).
  t.ok(inside - hostUptime > offset - 60 && inside - hostUptime < offset + 60, `uptime inside ${inside} is host ${hostUptime} + ${offset}`);
  t.match(r.stdout, /monotonic\s+2000000\s+0/);
  t.match(r.stdout, /boottime\s+1000000\s+0/);
  t.not(nsInode(fs.readlinkSync('/proc/self/ns/time')), '', 'host has a time namespace link');
  assertNoLeaks(t, root);
});

t.test('an id-mapped mount that is not a bind is refused clearly (id-mapped binds: userns-idmap.test.ts)', { skip: skipReason }, async (t) => {
  const maps = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = maps;
    c.linux.gidMappings = maps;
    c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] });
  });
  const r = tsrun(root, ['create', '-b', bundle, uniqueId('userns')]);
  assertCleanError(t, r, /\/mounts\/\d+: id-mapped mounts \(idmap, ridmap, uidMappings\/gidMappings\) are supported by tsrun for bind mounts only/);
  assertNoLeaks(t, root);
});
