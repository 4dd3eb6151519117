// Rootless tsrun (README "Rootless"): a real non-root user, made by this test with useradd (and
// so with /etc/subuid and /etc/subgid ranges) and removed at the end with all it made, runs
// `tsrun spec --rootless` and then the lifecycle with that config: run, create, state, start,
// exec, ps, kill, delete, with its state under $XDG_RUNTIME_DIR/tsrun. Checked: root inside is
// the user outside, ranges beyond its own id go through newuidmap/newgidmap, the state files are
// the user's, what it cannot have is refused in one line naming the field, and limits are
// skipped with a warning without a delegated cgroup and applied in one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { assertCleanError, cleanupRoot, errorLines, ownLeaks, REPO, skipReason, TSRUN, uniqueId, waitFor, type Result } from '../lib/harness';
import { asUser, makeTestUser, removeTestUser, testUserSkipReason, unprivilegedUsernsSkipReason, type TestUser } from '../lib/test-user';

const ROOTFS = path.join(REPO, 'bundles', 'busybox', 'rootfs');
const baseSkip = skipReason || testUserSkipReason();
const user: TestUser | undefined = baseSkip ? undefined : makeTestUser('tsrl');
// Removed even when a test fails (tap runs teardowns then); containers first, while tsrun can
// still read their state.
t.teardown(() => {
  if (!user) return;
  if (fs.existsSync(stateRoot())) cleanupRoot(stateRoot());
  removeTestUser(user);
});
const skip = baseSkip || unprivilegedUsernsSkipReason(user as TestUser);
const newuidmap = spawnSync('sh', ['-c', 'command -v newuidmap && command -v newgidmap']).status === 0;
if (skip) t.comment(`skipped: ${skip}`);

function stateRoot(): string {
  return path.join((user as TestUser).xdg, 'tsrun');
}

/** tsrun as the user; without --root its default is $XDG_RUNTIME_DIR/tsrun (checked in the first test). */
function ts(args: string[], opts: { cwd?: string; before?: string } = {}): Result {
  return asUser(user as TestUser, [TSRUN, ...args], opts);
}

/** A bundle of the user's own, config from `tsrun spec --rootless` run as the user, then `mutate`. */
function rootlessBundle(t: any, mutate: (c: any) => void): string {
  const u = user as TestUser;
  const dir = fs.mkdtempSync(path.join(u.home, 'bundle-'));
  fs.chownSync(dir, u.uid, u.gid);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const r = ts(['spec', '--rootless'], { cwd: dir });
  if (r.status !== 0) throw new Error(`tsrun spec --rootless: ${r.stderr}`);
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  c.process.terminal = false;
  // The shared busybox rootfs belongs to host root: inside, its files are the overflow id
  // (nobody), readable, and the root stays read-only as the spec says.
  c.root.path = ROOTFS;
  mutate(c);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c, null, 2));
  return dir;
}

function kv(out: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) o[line.slice(0, i)] = line.slice(i + 1).trim().replace(/\s+/g, ' ');
  }
  return o;
}

/** The real, effective, saved and fs ids of `pid` as the host sees them. */
function hostIds(pid: number, which: 'Uid' | 'Gid' | 'Groups'): string {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${which}:`)) ?? '';
  return line.split(/\s+/).slice(1).filter(Boolean).join(' ');
}

function nothingLeft(t: any): void {
  t.same(ownLeaks(stateRoot()), { mounts: [], cgroups: [], processes: [], state: [] }, 'nothing left behind');
}

const PROBE = [
  'echo id=$(id -u):$(id -g)',
  'echo uidmap=$(cat /proc/self/uid_map)',
  'echo gidmap=$(cat /proc/self/gid_map)',
  'echo setgroups=$(cat /proc/self/setgroups)',
  // Set by the init stage, root in the user namespace that owns the UTS namespace (the
  // process itself has the default spec's three capabilities, no CAP_SYS_ADMIN).
  'echo hostname=$(hostname)',
].join('; ');

t.test('spec --rootless, then run as the user: root inside, the user outside; the state root is its own', { skip }, async (t) => {
  const u = user as TestUser;
  const bundle = rootlessBundle(t, (c) => {
    c.process.args = ['sh', '-c', PROBE];
  });
  const cfg = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  t.same(cfg.linux.uidMappings, [{ containerID: 0, hostID: u.uid, size: 1 }], 'spec --rootless maps the caller\'s uid');
  t.same(cfg.linux.gidMappings, [{ containerID: 0, hostID: u.gid, size: 1 }]);
  // No --root: the default for a non-root caller.
  const r = ts(['run', '--bundle', bundle, uniqueId('rl')]);
  t.equal(r.status, 0, r.stderr);
  t.same(errorLines(r.stderr), [], 'no error and no warning');
  const o = kv(r.stdout);
  t.equal(o.id, '0:0');
  t.equal(o.uidmap, `0 ${u.uid} 1`);
  t.equal(o.gidmap, `0 ${u.gid} 1`);
  t.equal(o.setgroups, 'deny', 'a gid map of only its own gid needs setgroups denied (user_namespaces(7))');
  t.equal(o.hostname, 'tsrun', 'the UTS namespace is owned by the user namespace');
  const st = fs.statSync(stateRoot());
  t.equal(st.uid, u.uid, '$XDG_RUNTIME_DIR/tsrun was made, by the user');
  nothingLeft(t);
});

t.test('create, state, start, exec, ps, kill, delete; the state files are the user\'s', { skip }, async (t) => {
  const u = user as TestUser;
  const id = uniqueId('rl');
  const bundle = rootlessBundle(t, (c) => {
    c.process.args = ['sleep', '1000'];
  });
  t.teardown(() => ts(['delete', '--force', id]));
  const c = ts(['--root', stateRoot(), 'create', '--bundle', bundle, id]);
  t.equal(c.status, 0, c.stderr);
  const st = JSON.parse(ts(['state', id]).stdout);
  t.equal(st.status, 'created');
  t.equal(st.owner, u.name);
  for (const f of fs.readdirSync(path.join(stateRoot(), id))) {
    t.equal(fs.lstatSync(path.join(stateRoot(), id, f)).uid, u.uid, `${f} is the user's`);
  }
  t.equal(ts(['start', id]).status, 0);
  t.equal(JSON.parse(ts(['state', id]).stdout).status, 'running');
  t.equal(hostIds(st.pid, 'Uid'), `${u.uid} ${u.uid} ${u.uid} ${u.uid}`, 'the host sees the user');
  const e = ts(['exec', id, 'sh', '-c', 'echo id=$(id -u):$(id -g); echo setgroups=$(cat /proc/self/setgroups); echo pid1=$(cat /proc/1/comm)']);
  t.equal(e.status, 0, e.stderr);
  t.same(kv(e.stdout), { id: '0:0', setgroups: 'deny', pid1: 'sleep' }, 'exec joins the user namespace, groups left alone');
  const ps = ts(['ps', '--format', 'json', id]);
  t.same(JSON.parse(ps.stdout), [st.pid], 'ps: init (no cgroup, so what is known of the container)');
  t.equal(ts(['kill', id, 'KILL']).status, 0);
  t.ok(await waitFor(() => JSON.parse(ts(['state', id]).stdout).status === 'stopped'), 'stopped');
  t.equal(ts(['delete', id]).status, 0);
  t.notOk(fs.existsSync(path.join(stateRoot(), id)), 'state dir removed');
  nothingLeft(t);
});

t.test('ranges from /etc/subuid and /etc/subgid go through newuidmap/newgidmap', {
  skip: skip || (!newuidmap && 'newuidmap/newgidmap are not installed (Debian package uidmap)') || (!user?.subuid && `useradd gave ${user?.name} no /etc/subuid range`),
}, async (t) => {
  const u = user as TestUser;
  const sub = u.subuid as { start: number; count: number };
  const subg = u.subgid as { start: number; count: number };
  const id = uniqueId('rl');
  const bundle = rootlessBundle(t, (c) => {
    c.linux.uidMappings = [{ containerID: 0, hostID: u.uid, size: 1 }, { containerID: 1, hostID: sub.start, size: sub.count }];
    c.linux.gidMappings = [{ containerID: 0, hostID: u.gid, size: 1 }, { containerID: 1, hostID: subg.start, size: subg.count }];
    c.process.user = { uid: 1000, gid: 1000, additionalGids: [5] };
    c.process.args = ['sleep', '1000'];
  });
  t.teardown(() => ts(['delete', '--force', id]));
  const r = ts(['run', '--detach', '--bundle', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  const pid = JSON.parse(ts(['state', id]).stdout).pid;
  // Container uid 1000 is sub.start + 999 on the host: the second range.
  t.ok(await waitFor(() => hostIds(pid, 'Uid') === Array(4).fill(sub.start + 999).join(' ')), `host uid ${sub.start + 999}`);
  t.equal(hostIds(pid, 'Gid'), Array(4).fill(subg.start + 999).join(' '));
  t.equal(hostIds(pid, 'Groups'), String(subg.start + 4), 'additionalGids applied (setgroups allowed)');
  const e = ts(['exec', id, 'cat', '/proc/self/uid_map', '/proc/self/setgroups']);
  t.equal(e.status, 0, e.stderr);
  t.same(e.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean), [`0 ${u.uid} 1`, `1 ${sub.start} ${sub.count}`, 'allow']);
  t.equal(ts(['delete', '--force', id]).status, 0);
  nothingLeft(t);
});

t.test('what the user cannot have is refused in one line naming the field, before anything is made', { skip }, async (t) => {
  const cases: [string, (c: any) => void, RegExp][] = [
    ['no user namespace', (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'user');
      delete c.linux.uidMappings;
      delete c.linux.gidMappings;
    }, /^tsrun run: \/linux\/namespaces: tsrun runs as \S+ \(uid \d+\), not root, and that needs a user namespace/],
    ['a range that is not the user\'s', (c) => {
      c.linux.uidMappings.push({ containerID: 1, hostID: 50, size: 10 });
    }, newuidmap ? /^tsrun run: \/linux\/uidMappings\/1: host uids 50-59 are not yours/ : /^tsrun run: \/linux\/uidMappings: maps more than your own uid/],
    ['additionalGids with only its own gid mapped', (c) => {
      c.process.user.additionalGids = [0];
    }, /^tsrun run: \/process\/user\/additionalGids: cannot be set/],
  ];
  for (const [what, mutate, pattern] of cases) {
    const bundle = rootlessBundle(t, (c) => {
      c.process.args = ['true'];
      mutate(c);
    });
    const r = ts(['run', '--bundle', bundle, uniqueId('rl')]);
    const v = ts(['validate', '--bundle', bundle]);
    t.test(what, async (t) => {
      assertCleanError(t, r, pattern);
      assertCleanError(t, v, new RegExp(pattern.source.replace('tsrun run:', 'tsrun validate:')));
    });
  }
  nothingLeft(t);
});

t.test('limits without a delegated cgroup: skipped with a warning, no cgroup made', { skip }, async (t) => {
  const id = uniqueId('rl');
  const bundle = rootlessBundle(t, (c) => {
    c.linux.resources = { pids: { limit: 10 } };
    c.process.args = ['sh', '-c', 'cat /proc/self/cgroup'];
  });
  const r = ts(['run', '--bundle', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /level=warning msg="linux\.resources skipped: tsrun runs as \S+ \(uid \d+\), not root, and no cgroup2 directory on the way to \/tsrun\/\S+ is delegated to it; no cgroup is made"/);
  t.notMatch(r.stdout, new RegExp(id), 'the process is in no cgroup of the container\'s');
  for (const h of fs.readdirSync('/sys/fs/cgroup')) t.notOk(fs.existsSync(path.join('/sys/fs/cgroup', h, 'tsrun', id)), `no ${h} cgroup`);
  nothingLeft(t);
});

// A delegated cgroup2 directory, as systemd's user@<uid>.service is one (cgroup-v2.rst
// "Delegation"): owned by the user with its cgroup.procs, cgroup.subtree_control and
// cgroup.threads. The user's tsrun runs from a "shell" cgroup inside it, because moving a process
// needs write access to cgroup.procs of the common ancestor of both cgroups.
const unified = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => fs.existsSync(path.join(d, 'cgroup.procs')) && fs.existsSync(path.join(d, 'cgroup.subtree_control')));
t.test('limits in a delegated cgroup2 directory: applied; pause, resume and kill --all through it', {
  skip: skip || (!unified && 'no cgroup2 hierarchy on this host'),
}, async (t) => {
  const u = user as TestUser;
  const mount = unified as string;
  const deleg = path.join(mount, `tsrun-test-deleg-${process.pid}`);
  const shell = path.join(deleg, 'shell');
  const rootControl = path.join(mount, 'cgroup.subtree_control');
  const hugetlbBefore = fs.readFileSync(rootControl, 'utf8').split(/\s+/).includes('hugetlb');
  fs.mkdirSync(shell, { recursive: true });
  for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) fs.chownSync(path.join(deleg, f), u.uid, u.gid);
  for (const f of ['', 'cgroup.procs']) fs.chownSync(path.join(shell, f), u.uid, u.gid);
  // The hugetlb controller is the one a hybrid host's cgroup2 offers (pids, memory... stay v1);
  // the admin who delegates enables it down to the delegated directory.
  const size = fs.existsSync('/sys/kernel/mm/hugepages') ? fs.readdirSync('/sys/kernel/mm/hugepages').map((d) => /^hugepages-(\d+)kB$/.exec(d)?.[1]).filter(Boolean).map(Number).sort((a, b) => a - b)[0] : undefined;
  const offered = fs.readFileSync(path.join(mount, 'cgroup.controllers'), 'utf8').split(/\s+/);
  const hugetlb = size !== undefined && offered.includes('hugetlb');
  if (hugetlb && !hugetlbBefore) fs.writeFileSync(rootControl, '+hugetlb');
  const id = uniqueId('rl');
  t.teardown(() => {
    ts(['delete', '--force', id]);
    for (const d of [path.join(deleg, 'c1'), shell, deleg]) {
      try {
        fs.rmdirSync(d);
      } catch {
        // already gone (or busy: the leak check says so)
      }
    }
    if (hugetlb && !hugetlbBefore) fs.writeFileSync(rootControl, '-hugetlb');
  });
  const sizeName = size === undefined ? '' : size >= 1024 * 1024 ? `${size / 1024 / 1024}GB` : size >= 1024 ? `${size / 1024}MB` : `${size}KB`;
  const bundle = rootlessBundle(t, (c) => {
    c.linux.cgroupsPath = `/${path.basename(deleg)}/c1`;
    c.linux.resources = hugetlb ? { hugepageLimits: [{ pageSize: sizeName, limit: 4 * size * 1024 }] } : {};
    c.process.args = ['sleep', '1000'];
  });
  const before = `echo $$ > ${shell}/cgroup.procs`;
  const r = ts(['run', '--detach', '--bundle', bundle, id], { before });
  t.equal(r.status, 0, r.stderr);
  t.same(errorLines(r.stderr), [], 'no warning: the limits are applied');
  const c1 = path.join(deleg, 'c1');
  const pid = JSON.parse(ts(['state', id]).stdout).pid;
  t.equal(fs.readFileSync(path.join(c1, 'cgroup.procs'), 'utf8').trim(), String(pid), 'init is in the delegated cgroup');
  t.equal(fs.statSync(c1).uid, u.uid, 'made by the user');
  if (hugetlb) t.equal(fs.readFileSync(path.join(c1, `hugetlb.${sizeName}.max`), 'utf8').trim(), String(4 * (size as number) * 1024), `hugetlb.${sizeName}.max`);
  else t.comment('hugetlb is not offered by this cgroup2 hierarchy: no limit to check');
  t.equal(ts(['pause', id], { before }).status, 0);
  t.equal(JSON.parse(ts(['state', id]).stdout).status, 'paused');
  t.equal(fs.readFileSync(path.join(c1, 'cgroup.freeze'), 'utf8').trim(), '1');
  t.equal(ts(['resume', id], { before }).status, 0);
  t.equal(JSON.parse(ts(['state', id]).stdout).status, 'running');
  t.equal(ts(['kill', '--all', id, 'KILL'], { before }).status, 0);
  t.ok(await waitFor(() => JSON.parse(ts(['state', id]).stdout).status === 'stopped'), 'stopped');
  t.equal(ts(['delete', id], { before }).status, 0);
  t.notOk(fs.existsSync(c1), 'its cgroup removed by delete');
  nothingLeft(t);
});
