// Tests what a non-root caller is allowed (src/spec/rootless.ts), which cgroup it gets
// (src/cgroups/rootless.ts) and its default state root (src/state/store.ts defaultRoot), without
// a non-root user: the caller, the sub-id files and the helpers are arguments.
// test/integration/rootless.test.ts runs the same rules as a real user.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { checkRootless, subIdRanges, type Caller, type RootlessHost } from '../../src/spec/rootless';
import { ownIdOnly } from '../../src/linux/id-maps';
import { runningInUserNs } from '../../src/linux/userns';
import { delegatedLayout, ownCgroupPaths } from '../../src/cgroups/rootless';
import { defaultRoot, DEFAULT_ROOT } from '../../src/state/store';
import type { Spec } from '../../src/spec/types';
import { SpecError } from '../../src/errors';
import { SPEC_VERSION } from '../../src/spec/version';

const bob: Caller = { uid: 1500, gid: 1600, name: 'bob', inUserNs: false };
const host: RootlessHost = {
  subuid: 'alice:100000:65536\nbob:200000:65536\n1500:400000:1000\n',
  subgid: 'bob:300000:65536\n',
  newuidmap: '/usr/bin/newuidmap',
  newgidmap: '/usr/bin/newgidmap',
};

function spec(linux: Spec['linux'], user: Spec['process'] extends infer P ? P extends { user: infer U } ? U : never : never = { uid: 0, gid: 0 }): Spec {
  return { ociVersion: SPEC_VERSION, root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'], user }, linux } as Spec;
}

const own = (id: number) => [{ containerID: 0, hostID: id, size: 1 }];

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpecError) return e.message;
    throw e;
  }
  return 'not refused';
}

t.test('subIdRanges: the lines of the caller, by name or uid; others and junk ignored', async (t) => {
  t.same(subIdRanges(host.subuid, bob), [{ start: 200000, count: 65536 }, { start: 400000, count: 1000 }]);
  t.same(subIdRanges('bob:x:1\nbob:5:0\n\nbob:7\n', bob), []);
  t.same(subIdRanges('', bob), []);
});

t.test('ownIdOnly: exactly one range, of size 1, of that id', async (t) => {
  t.ok(ownIdOnly(own(1500), 1500));
  t.notOk(ownIdOnly(own(1501), 1500));
  t.notOk(ownIdOnly([{ containerID: 0, hostID: 1500, size: 2 }], 1500));
  t.notOk(ownIdOnly([...own(1500), { containerID: 1, hostID: 200000, size: 10 }], 1500));
});

t.test('a config without a user namespace is refused, naming linux.namespaces', async (t) => {
  const msg = refusal(() => checkRootless(spec({ namespaces: [{ type: 'pid' }, { type: 'mount' }] }), bob, host));
  t.match(msg, /^\/linux\/namespaces: tsrun runs as bob \(uid 1500\), not root, and that needs a user namespace/);
});

t.test('own ids only: allowed without helpers; setgroups denied, so additionalGids are refused', async (t) => {
  const noHelpers: RootlessHost = { subuid: '', subgid: '' };
  const ns = [{ type: 'user' as const }, { type: 'mount' as const }];
  t.same(checkRootless(spec({ namespaces: ns, uidMappings: own(1500), gidMappings: own(1600) }), bob, noHelpers), { setgroupsDenied: true });
  const msg = refusal(() => checkRootless(spec({ namespaces: ns, uidMappings: own(1500), gidMappings: own(1600) }, { uid: 0, gid: 0, additionalGids: [5] }), bob, noHelpers));
  t.match(msg, /^\/process\/user\/additionalGids: cannot be set: with a gid map of only your own gid \(1600\), setgroups\(2\) is denied/);
  // uid 1600 is not bob's uid: a map of someone else's single id is not "own".
  t.match(refusal(() => checkRootless(spec({ namespaces: ns, uidMappings: own(1600), gidMappings: own(1600) }), bob, noHelpers)), /^\/linux\/uidMappings: maps more than your own uid 1500, which needs newuidmap/);
});

t.test('sub-id ranges: inside the caller\'s go through the helpers (setgroups allowed); outside are refused by index', async (t) => {
  const ns = [{ type: 'user' as const }, { type: 'mount' as const }];
  const uidMappings = [...own(1500), { containerID: 1, hostID: 200000, size: 65536 }, { containerID: 70000, hostID: 400500, size: 500 }];
  const gidMappings = [...own(1600), { containerID: 1, hostID: 300000, size: 65536 }];
  t.same(checkRootless(spec({ namespaces: ns, uidMappings, gidMappings }, { uid: 0, gid: 0, additionalGids: [5] }), bob, host), { setgroupsDenied: false });
  const past = [...own(1500), { containerID: 1, hostID: 200001, size: 65536 }];
  t.equal(refusal(() => checkRootless(spec({ namespaces: ns, uidMappings: past, gidMappings }), bob, host)),
    '/linux/uidMappings/1: host uids 200001-265536 are not yours: /etc/subuid gives bob (uid 1500) 200000-265535, 400000-400999, and newuidmap refuses the rest');
  const alices = [{ containerID: 0, hostID: 100000, size: 10 }];
  t.match(refusal(() => checkRootless(spec({ namespaces: ns, uidMappings: own(1500), gidMappings: alices }), bob, host)), /^\/linux\/gidMappings\/0: host gids 100000-100009 are not yours: \/etc\/subgid gives bob \(gid 1600\) 300000-365535/);
  t.match(refusal(() => checkRootless(spec({ namespaces: ns, uidMappings, gidMappings }), bob, { ...host, newgidmap: undefined })), /^\/linux\/gidMappings: maps more than your own gid 1600, which needs newgidmap \(Debian package uidmap\), not found on PATH/);
  t.match(refusal(() => checkRootless(spec({ namespaces: ns, uidMappings, gidMappings }), { ...bob, name: 'carol' }, host)), /gives carol \(uid 1500\) 400000-400999/, 'a line naming the uid counts');
});

t.test('a joined user namespace: no maps to check, setgroups left as it is', async (t) => {
  t.same(checkRootless(spec({ namespaces: [{ type: 'user', path: '/proc/1/ns/user' }, { type: 'mount' }] }), bob, { subuid: '', subgid: '' }), { setgroupsDenied: false });
});

t.test('runningInUserNs: anything but the initial namespace\'s identity map', async (t) => {
  t.equal(runningInUserNs('         0          0 4294967295\n'), false);
  t.equal(runningInUserNs('         0       1001          1\n         1     100000      65536\n'), true);
  t.equal(runningInUserNs('         0          0 4294967294\n'), true);
  t.equal(runningInUserNs(''), false, 'no file: the initial namespace');
});

t.test('checkRootless: root of a user namespace (rootless podman\'s runtime) needs no user namespace of the config\'s', async (t) => {
  const podmans: Caller = { uid: 0, gid: 0, name: 'root', inUserNs: true };
  t.same(checkRootless(spec({ namespaces: [{ type: 'pid' }, { type: 'mount' }] }, { uid: 0, gid: 0, additionalGids: [5] }), podmans, { subuid: '', subgid: '' }), { setgroupsDenied: false });
});

t.test('defaultRoot: /run/tsrun for root, $XDG_RUNTIME_DIR/tsrun for others who have one', async (t) => {
  const initial = () => false;
  t.equal(defaultRoot(0, { XDG_RUNTIME_DIR: '/run/user/0' }, initial), DEFAULT_ROOT);
  t.equal(defaultRoot(0, { XDG_RUNTIME_DIR: '/run/user/1500' }, () => true), '/run/user/1500/tsrun', 'root of another user namespace (rootless podman) too');
  t.equal(defaultRoot(0, {}, () => true), DEFAULT_ROOT);
  t.equal(defaultRoot(1500, { XDG_RUNTIME_DIR: '/run/user/1500' }), '/run/user/1500/tsrun');
  t.equal(defaultRoot(1500, {}), DEFAULT_ROOT);
  t.equal(defaultRoot(1500, { XDG_RUNTIME_DIR: '' }), DEFAULT_ROOT);
});

t.test('ownCgroupPaths: /proc/self/cgroup lines as directories of the host layout', async (t) => {
  const layout = { kind: 'hybrid' as const, v1: { pids: '/sys/fs/cgroup/pids', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct', 'name=systemd': '/sys/fs/cgroup/systemd' }, unified: '/sys/fs/cgroup/unified' };
  const text = '9:name=systemd:/user.slice\n8:pids:/a/b\n2:cpu,cpuacct:/\n1:rdma:/x\n0::/user.slice/s\n';
  t.same(ownCgroupPaths(layout, text), {
    kind: 'hybrid',
    paths: { 'name=systemd': '/sys/fs/cgroup/systemd/user.slice', pids: '/sys/fs/cgroup/pids/a/b', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct', unified: '/sys/fs/cgroup/unified/user.slice/s' },
    createdDirs: [],
  });
});

t.test('delegatedLayout: only a cgroup2 directory below the root, owned by the caller and writable', async (t) => {
  const root = t.testdir({ mine: { 'cgroup.procs': '' }, noprocs: {} });
  const uid = process.getuid?.() ?? 0;
  const layout = { kind: 'hybrid' as const, v1: { pids: '/sys/fs/cgroup/pids' }, unified: root };
  t.same(delegatedLayout(layout, '/mine/c1', uid), { kind: 'v2', v1: {}, unified: root }, 'nearest existing ancestor is ours');
  t.same(delegatedLayout(layout, '/mine', uid), { kind: 'v2', v1: {}, unified: root }, 'the directory itself');
  t.equal(delegatedLayout(layout, '/mine/c1', uid + 1), undefined, 'someone else\'s');
  t.equal(delegatedLayout(layout, '/noprocs/c1', uid), undefined, 'no cgroup.procs: not a cgroup we could join');
  t.equal(delegatedLayout(layout, '/tsrun/c1', uid), undefined, 'only the hierarchy root exists on the way');
  t.equal(delegatedLayout({ kind: 'v1', v1: { pids: '/x' } }, '/mine', uid), undefined, 'no cgroup2 hierarchy');
  // Root may write anywhere (access(2) ignores the mode for it), so this case needs a non-root run.
  fs.chmodSync(path.join(root, 'mine'), 0o555);
  if (uid !== 0) t.equal(delegatedLayout(layout, '/mine/c1', uid), undefined, 'not writable');
  fs.chmodSync(path.join(root, 'mine'), 0o755);
});
