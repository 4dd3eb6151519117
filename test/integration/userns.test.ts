// User namespaces (config-linux.md "Namespaces", "User namespace mappings"), made through the
// trampoline (src/launcher/nsexec.c, trampoline.ts): the container's process is root inside and
// the mapped id on the host, the other namespaces are owned by the new user namespace, /proc,
// /sys (an rbind without a network namespace of its own), /dev (bind-mounted nodes) and the
// masked/read-only paths work, seccomp and exec work inside it, and kill + delete leave nothing.
// Joins by path and refusals: userns-join.test.ts (two files keep each under tap's timeout).
//
// The busybox rootfs belongs to host root. Files of an id the namespace does not map show up as
// the overflow id (nobody) and root in the container holds no capability over them
// (user_namespaces(7)), so each test either maps host id 0 in one of its ranges or runs on a copy
// of the rootfs chowned to the mapped range (removed at teardown).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import t from 'tap';
import {
  assertNoLeaks, bundleFor, cleanupRoot, copyRootfs, makeStateRoot, quiet, skipReason, stateOf,
  tsrun, uniqueId, waitFor, isAlive,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

const BASE = 200000;
type IdMap = { containerID: number; hostID: number; size: number };

/** A user namespace with these maps (the same for uids and gids). */
function withUserNs(c: any, maps: IdMap[]): void {
  quiet(c);
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = maps;
  c.linux.gidMappings = maps;
}

/** A rootfs copy owned by host uid/gid `id` (container root with a one-range map onto `id`). */
function rootfsOwnedBy(t: any, id: number): string {
  const dir = copyRootfs(t);
  const r = spawnSync('chown', ['-R', '-h', `${id}:${id}`, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chown: ${r.stderr}`);
  return dir;
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

function run(t: any, script: string, mutate: (c: any) => void) {
  const bundle = bundleFor(t, (c) => {
    c.process.args = ['sh', '-c', script];
    mutate(c);
  });
  return tsrun(root, ['run', '--bundle', bundle, uniqueId('userns')]);
}

/** The Uid: line of /proc/<pid>/status: real, effective, saved, fs. */
function hostUids(pid: number): string[] {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:')) ?? '';
  return line.split(/\s+/).slice(1, 5);
}

t.test('one range: root inside, the mapped id outside', { skip: skipReason }, async (t) => {
  const rootfs = rootfsOwnedBy(t, BASE);
  const probe = [
    'echo id=$(id -u):$(id -g)',
    'echo map=$(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")',
    'echo gmap=$(cat /proc/self/gid_map | tr -s " " | sed "s/^ //")',
    'echo owner=$(stat -c %u:%g /bin/busybox)',
    // The other namespaces belong to the new user namespace: root in it can act on them.
    'hostname inside && echo host=$(hostname)',
    'ip link set lo up 2>/dev/null || ifconfig lo up && echo lo=up',
    'touch /made && echo write=ok',
  ].join('; ');
  const r = run(t, probe, (c) => {
    withUserNs(c, [{ containerID: 0, hostID: BASE, size: 65536 }]);
    c.root.path = rootfs;
    c.root.readonly = false;
    // Capabilities that act on namespaces: held in the user namespace, they reach only the
    // namespaces it owns.
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_ADMIN', 'CAP_NET_ADMIN');
  });
  t.equal(r.status, 0, r.stderr);
  const v = kv(r.stdout);
  t.equal(v.id, '0:0', 'the process is root in its user namespace');
  t.equal(v.map, `0 ${BASE} 65536`, 'uid_map as configured');
  t.equal(v.gmap, `0 ${BASE} 65536`, 'gid_map as configured');
  t.equal(v.owner, '0:0', 'files of the mapped host id are root\'s inside');
  t.equal(v.host, 'inside', 'sethostname works: the UTS namespace is owned by the user namespace');
  t.equal(v.lo, 'up', 'the network namespace is owned by the user namespace');
  t.equal(v.write, 'ok', 'root inside writes its own files');
  t.equal(fs.statSync(`${rootfs}/made`).uid, BASE, 'a file it made belongs to the mapped id on the host');
  assertNoLeaks(t, root);
});

t.test('several ranges, and the host view of the process (/proc/<pid>/status)', { skip: skipReason }, async (t) => {
  // Host root is container id 1000 here: the shared rootfs shows up as 1000's, and container
  // root holds CAP_DAC_OVERRIDE over it because both its uid and gid are mapped.
  const maps = [
    { containerID: 0, hostID: BASE, size: 1000 },
    { containerID: 1000, hostID: 0, size: 1 },
    { containerID: 1001, hostID: BASE + 1001, size: 64535 },
  ];
  const bundle = bundleFor(t, (c) => {
    withUserNs(c, maps);
    c.process.args = ['sleep', '1000'];
  });
  const id = uniqueId('userns');
  t.teardown(() => tsrun(root, ['delete', '--force', id]));
  const r = tsrun(root, ['run', '--detach', '--bundle', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  const pid = stateOf(root, id)?.pid as number;
  t.same(hostUids(pid), [String(BASE), String(BASE), String(BASE), String(BASE)], 'the host sees the mapped uid');
  const lines = fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  t.same(lines, maps.map((m) => [m.containerID, m.hostID, m.size]), 'all three ranges, in order');

  // exec joins the same user namespace (through the trampoline) and is root there.
  const e = tsrun(root, ['exec', id, 'sh', '-c', 'echo id=$(id -u); echo owner=$(stat -c %u /bin/busybox); readlink /proc/self/ns/user; readlink /proc/1/ns/user']);
  t.equal(e.status, 0, e.stderr);
  const out = e.stdout.trim().split('\n');
  t.equal(out[0], 'id=0', 'exec: root in the user namespace');
  t.equal(out[1], 'owner=1000', 'exec: host root\'s files are container id 1000\'s');
  t.equal(out[2], out[3], 'exec: the same user namespace as the container\'s init');
  t.equal(out[2], fs.readlinkSync(`/proc/${pid}/ns/user`), '... which is the one the host sees for init');
  t.not(out[2], fs.readlinkSync('/proc/self/ns/user'), '... and not the host\'s');

  // kill + delete leave nothing: no process, cgroup, mount or state.
  const k = tsrun(root, ['kill', id, 'KILL']);
  t.equal(k.status, 0, k.stderr);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'stopped after SIGKILL');
  t.equal(tsrun(root, ['delete', id]).status, 0, 'delete');
  t.notOk(isAlive(pid), 'init is gone');
  assertNoLeaks(t, root);
});

t.test('/proc, /sys, /dev and masked/read-only paths inside a user namespace', { skip: skipReason }, async (t) => {
  const maps = [{ containerID: 0, hostID: BASE, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];
  const probe = [
    'echo pid1=$(cat /proc/1/comm)',
    // Masked: /dev/null bound over it. Unmasked, the file is host root's (nobody's here), mode 0400.
    'echo timers=$(wc -c < /proc/timer_list)',
    'echo sysro=$(grep " /proc/sys " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1)', // read-only
    'echo null=$(echo x > /dev/null && echo ok)',
    'echo zero=$(head -c 4 /dev/zero | wc -c)',
    'echo urandom=$(head -c 8 /dev/urandom | wc -c)',
    'echo devtype=$(stat -c %t:%T /dev/null)',
    'echo sysmnt=$(grep " /sys " /proc/self/mounts | cut -d" " -f3,4 | cut -d, -f1)',
    'echo netdev=$(ls /sys/class/net | tr "\\n" " ")',
  ].join('; ');
  for (const [name, ownNet] of [['own network namespace: sysfs mounted', true], ['host network: /sys bound from the host', false]] as const) {
    const r = run(t, probe, (c) => {
      withUserNs(c, maps);
      if (!ownNet) c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network');
    });
    t.equal(r.status, 0, `${name}: ${r.stderr}`);
    const v = kv(r.stdout);
    t.equal(v.pid1, 'sh', `${name}: /proc is the container's`);
    t.equal(v.timers, '0', `${name}: /proc/timer_list masked`);
    t.equal(v.sysro, 'ro', `${name}: /proc/sys read-only`);
    t.equal(v.null, 'ok', `${name}: /dev/null writable`);
    t.equal(v.zero, '4', `${name}: /dev/zero reads`);
    t.equal(v.urandom, '8', `${name}: /dev/urandom reads`);
    t.equal(v.devtype, '1:3', `${name}: /dev/null is the 1:3 node`);
    t.equal(v.sysmnt, 'sysfs ro', `${name}: /sys is a read-only sysfs`);
    if (ownNet) t.equal(v.netdev.trim(), 'lo', 'a new network namespace\'s sysfs shows only lo');
    else t.ok(v.netdev.trim().split(' ').length >= 1 && v.netdev.includes('lo'), 'the host\'s /sys/class/net through the rbind');
  }
  assertNoLeaks(t, root);
});

t.test('seccomp in a user namespace', { skip: skipReason }, async (t) => {
  const maps = [{ containerID: 0, hostID: BASE, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];
  const r = run(t, 'mkdir /tmp/d 2>&1 && echo mkdir=allowed; echo id=$(id -u)', (c) => {
    withUserNs(c, maps);
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /Operation not permitted/, 'the filter refuses mkdir with EPERM');
  t.notMatch(r.stdout, /mkdir=allowed/);
  t.match(r.stdout, /id=0/);
  assertNoLeaks(t, root);
});
