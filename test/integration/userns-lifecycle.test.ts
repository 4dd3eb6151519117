// A user-namespaced container through the rest of the lifecycle (issue 13: "a user namespace
// combined with seccomp, hooks, exec, pause and kill --all"): every hook phase runs, where and as
// whom it should (createContainer and startContainer inside the user namespace, the others on the
// host); pause freezes it and resume thaws it while exec joins it; kill --all reaches every
// process, paused or not; exec under the container's seccomp filter is refused what the filter
// refuses. userns.test.ts has the maps, /proc, /sys, /dev and a plain seccomp run.
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import {
  assertNoLeaks, bundleFor, cleanupRoot, isAlive, makeStateRoot, quiet, sharedDir, skipReason, stateOf, tsrun, uniqueId, waitFor,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

const BASE = 200000;
// Host root is container id 1000: the shared rootfs and the shared dir stay usable.
const MAPS = [{ containerID: 0, hostID: BASE, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];

function withUserNs(c: any): void {
  quiet(c);
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = MAPS;
  c.linux.gidMappings = MAPS;
}

function startDetached(t: Test, args: string[], mutate: (c: any) => void = () => {}): { id: string; pid: number } {
  const bundle = bundleFor(t, (c) => {
    withUserNs(c);
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
    c.process.args = args;
    mutate(c);
  });
  const id = uniqueId('usl');
  t.teardown(() => tsrun(root, ['delete', '--force', id]));
  const r = tsrun(root, ['run', '--detach', '--bundle', bundle, id]);
  t.equal(r.status, 0, `run --detach: ${r.stderr}`);
  return { id, pid: stateOf(root, id)?.pid as number };
}

const ownUserNs = fs.readlinkSync('/proc/self/ns/user');

t.test('every hook phase, in and out of the user namespace', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  // Each hook records its phase, its uid and its user namespace. Host-side ones run /bin/sh of the
  // host; createContainer runs the host path in the container's namespaces, startContainer runs
  // inside the container's root (busybox sh), as the container's user.
  const hook = (phase: string, file: string) => ({
    path: '/bin/sh',
    args: ['sh', '-c', `echo "${phase} $(id -u) $(readlink /proc/self/ns/user)" >> ${file}`],
  });
  const hostLog = path.join(shared, 'host.log');
  const bundle = bundleFor(t, (c) => {
    withUserNs(c);
    // On a tmpfs: a new mount point in the shared busybox rootfs would outlive the test.
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
    c.mounts.push({ destination: '/tmp/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] });
    c.process.args = ['true'];
    c.hooks = {
      prestart: [hook('prestart', hostLog)],
      createRuntime: [hook('createRuntime', hostLog)],
      createContainer: [hook('createContainer', hostLog)],
      startContainer: [hook('startContainer', '/tmp/shared/inside.log')],
      poststart: [hook('poststart', hostLog)],
      poststop: [hook('poststop', hostLog)],
    };
  });
  const id = uniqueId('usl');
  const r = tsrun(root, ['run', '--bundle', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  const lines = fs.readFileSync(hostLog, 'utf8').trim().split('\n').map((l) => l.split(' '));
  t.same(lines.map((l) => l[0]), ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'], 'host-side phases in order');
  const byPhase = Object.fromEntries(lines.map((l) => [l[0], l]));
  for (const phase of ['prestart', 'createRuntime', 'poststart', 'poststop']) {
    t.same(byPhase[phase].slice(1), ['0', ownUserNs], `${phase}: host root, in the host's user namespace`);
  }
  t.equal(byPhase.createContainer[1], '0', 'createContainer: root in the container');
  t.not(byPhase.createContainer[2], ownUserNs, 'createContainer: in the container\'s user namespace');
  const inside = fs.readFileSync(path.join(shared, 'inside.log'), 'utf8').trim().split(' ');
  t.equal(inside[0], 'startContainer');
  t.equal(inside[1], '0', 'startContainer: the container\'s user (root in the namespace)');
  t.equal(inside[2], byPhase.createContainer[2], 'startContainer: the same user namespace as createContainer');
  assertNoLeaks(t, root);
});

t.test('pause and resume, exec while running', { skip: skipReason }, async (t) => {
  const { id, pid } = startDetached(t, ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/c; sleep 0.05; done']);
  const count = () => {
    const s = (() => {
      try {
        return fs.readFileSync(`/proc/${pid}/root/tmp/c`, 'utf8').trim();
      } catch {
        return '';
      }
    })();
    return /^\d+$/.test(s) ? Number(s) : undefined;
  };
  t.ok(await waitFor(() => count() !== undefined, 5000), 'the counter runs');
  t.equal(tsrun(root, ['pause', id]).status, 0, 'pause');
  t.equal(stateOf(root, id)?.status, 'paused', 'state says paused');
  await new Promise((r) => setTimeout(r, 300));
  const frozen = count();
  await new Promise((r) => setTimeout(r, 400));
  t.equal(count(), frozen, 'the counter stands still while paused');
  const refused = tsrun(root, ['exec', id, 'true']);
  t.not(refused.status, 0, 'exec into a paused container is refused');
  t.equal(tsrun(root, ['resume', id]).status, 0, 'resume');
  t.ok(await waitFor(() => (count() ?? 0) > (frozen ?? 0), 5000), 'the counter moves again');
  const e = tsrun(root, ['exec', id, 'sh', '-c', 'echo $(id -u) $(cat /tmp/c | wc -c)']);
  t.equal(e.status, 0, e.stderr);
  t.match(e.stdout, /^0 \d+/, 'exec: root in the user namespace, sees the container\'s /tmp');
  t.equal(stateOf(root, id)?.status, 'running');
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0, 'delete --force');
  assertNoLeaks(t, root);
});

t.test('kill --all reaches every process, also while paused', { skip: skipReason }, async (t) => {
  for (const paused of [false, true]) {
    const { id, pid } = startDetached(t, ['sh', '-c', 'sleep 1000 & sleep 1000 & sleep 1000 & wait']);
    t.ok(await waitFor(() => (tsrunJson(id)?.length ?? 0) >= 4, 5000), 'init and three sleeps');
    const pids = tsrunJson(id) ?? [];
    if (paused) t.equal(tsrun(root, ['pause', id]).status, 0, 'pause');
    const k = tsrun(root, ['kill', '--all', id, 'KILL']);
    t.equal(k.status, 0, k.stderr);
    t.ok(await waitFor(() => pids.every((p) => !isAlive(p)), 5000), `${paused ? 'paused: ' : ''}every process is gone`);
    t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped', 5000), 'stopped');
    t.notOk(isAlive(pid), 'init too');
    t.equal(tsrun(root, ['delete', id]).status, 0, 'delete');
  }
  assertNoLeaks(t, root);
});

function tsrunJson(id: string): number[] | undefined {
  const r = tsrun(root, ['ps', '--format', 'json', id]);
  return r.status === 0 ? (JSON.parse(r.stdout) as number[]) : undefined;
}

t.test('exec under the container\'s seccomp filter', { skip: skipReason }, async (t) => {
  const { id } = startDetached(t, ['sleep', '1000'], (c) => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
  });
  const e = tsrun(root, ['exec', id, 'sh', '-c', 'mkdir /tmp/d 2>&1; echo id=$(id -u)']);
  t.equal(e.status, 0, e.stderr);
  t.match(e.stdout, /Operation not permitted/, 'the filter refuses mkdir in exec too');
  t.match(e.stdout, /id=0/, 'root in the user namespace');
  t.notOk(fs.existsSync(`/proc/${stateOf(root, id)?.pid}/root/tmp/d`), 'nothing was made');
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});
