// Containers inside their limits, through the real CLI on this host's cgroups (issue 3):
// the init stage itself fits in tiny limits, a fork bomb stays inside pids.limit, an OOM kill
// shows in the exit status and in `events`, and podman-style limits read back from inside and
// outside the container.
import t from 'tap';
import fs from 'node:fs';
import {
  assertNoLeaks, bundleFor, cleanupRoot, firstCpusetIds, makeStateRoot, oomMemory, quiet, runScript, skipReason, stateOf, swapEscapesOomReason, tsrun,
  uniqueId, waitFor, TSRUN,
} from '../lib/harness';

const MiB = 1024 * 1024;
const haveV1 = (ctrl: string) => fs.existsSync(`/sys/fs/cgroup/${ctrl}/cgroup.procs`) && !fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
const cg = (ctrl: string, id: string, file: string) => fs.readFileSync(`/sys/fs/cgroup/${ctrl}/tsrun/${id}/${file}`, 'utf8').trim();

t.test('the init stage fits in tiny limits: `true` runs under an 8 MiB memory limit and under pids.limit 1', { skip: skipReason }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  // The init stage (a Node process, ~40 MiB and ~10 threads) joins the cgroup before the limits
  // are written: it joins memory only after its Node boot when the config sets memory, so the
  // boot's pages stay charged to the caller (cgroups do not move existing charges), and a limit
  // below the current task count only stops new tasks, so only the user program, after execve,
  // lives inside the limits (src/container/cgroup-join.ts).
  for (const resources of [{ memory: { limit: 8 * MiB } }, { pids: { limit: 1 } }]) {
    const r = runScript(root, 'true', (c) => {
      quiet(c);
      c.process.args = ['true'];
      Object.assign(c.linux.resources, resources);
    });
    t.equal(r.status, 0, `${JSON.stringify(resources)}: ${r.stderr}`);
  }
  assertNoLeaks(t, root);
});

t.test('a fork bomb stays inside pids.limit 20 and delete --force cleans it up', { skip: skipReason || (!haveV1('pids') && 'needs the v1 pids controller') }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const id = uniqueId('bomb');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    // The classic bomb, for sh: every call starts two more in the background, forever.
    c.process.args = ['sh', '-c', 'bomb() { bomb | bomb & }; bomb; sleep 1000'];
    c.linux.resources.pids = { limit: 20 };
  });
  const r = tsrun(root, ['run', '--detach', '--bundle', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  // It grows until the limit stops it; then forks fail (pids.events "max" counts refusals).
  t.ok(await waitFor(() => Number(cg('pids', id, 'pids.events').split(' ')[1] ?? 0) > 0, 20_000), 'the kernel refused forks at the limit');
  const current = Number(cg('pids', id, 'pids.current'));
  t.ok(current <= 20, `pids.current ${current} <= 20`);
  t.equal(cg('pids', id, 'pids.max'), '20');
  // The host stays usable: it can still start processes.
  t.equal(tsrun(root, ['state', id]).status, 0, 'the host still runs commands');
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  t.notOk(fs.existsSync(`/sys/fs/cgroup/pids/tsrun/${id}`), 'cgroup gone');
  assertNoLeaks(t, root);
});

t.test('an OOM kill: exit status 137 and an oom event', {
  skip: skipReason || (!haveV1('memory') && 'needs the v1 memory controller') || swapEscapesOomReason(),
}, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  // Allocates ~64 MiB of shell variable under a 16 MiB limit; on a host with swap, memory+swap is
  // capped at the limit too (oomMemory), so swap is no way out.
  const hog = 'x=a; i=0; while [ $i -lt 26 ]; do x="$x$x"; i=$((i+1)); done; echo survived';
  const memory = oomMemory(16 * MiB);
  const r = runScript(root, hog, (c) => {
    quiet(c);
    c.linux.resources.memory = memory;
  });
  t.equal(r.status, 137, `killed by SIGKILL (OOM): ${r.stderr}`);
  t.notMatch(r.stdout, /survived/);

  const id = uniqueId('oom');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', `sleep 1; ${hog}; sleep 1000`];
    c.linux.resources.memory = memory;
  });
  t.equal(tsrun(root, ['run', '--detach', '--bundle', bundle, id]).status, 0);
  const ev = tsrun(root, ['events', '--interval', '1s', id], { timeoutMs: 30_000 });
  const lines = ev.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; id: string });
  t.ok(lines.some((e) => e.type === 'oom' && e.id === id), `an oom event: ${ev.stdout.slice(0, 400)} ${ev.stderr}`);
  tsrun(root, ['delete', '--force', id]);
  assertNoLeaks(t, root);
});

t.test('podman-style limits read back outside (cgroupfs) and inside (its own cgroup mount)', { skip: skipReason || (!haveV1('memory') && 'needs v1 controllers') }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const { cpu } = firstCpusetIds();
  const id = uniqueId('lim');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.linux.namespaces.push({ type: 'cgroup' });
    c.process.args = ['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpuset/cpuset.cpus; sleep 1000'];
    c.linux.resources.memory = { limit: 64 * MiB };
    c.linux.resources.pids = { limit: 50 };
    c.linux.resources.cpu = { quota: 50000, period: 100000, cpus: cpu };
  });
  const out = `/tmp/tsrun-limits-${process.pid}.out`;
  t.teardown(() => fs.rmSync(out, { force: true }));
  // run --detach hands the container our stdout; point it at a file we can read.
  const fd = fs.openSync(out, 'w');
  const { spawnSync } = await import('node:child_process');
  // stderr too: a pipe held open by the container would keep spawnSync waiting.
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', TSRUN, '--root', root, 'run', '--detach', '--bundle', bundle, id], { stdio: ['ignore', fd, fd], encoding: 'utf8' });
  fs.closeSync(fd);
  t.equal(r.status, 0, fs.readFileSync(out, 'utf8'));
  t.equal(cg('memory', id, 'memory.limit_in_bytes'), String(64 * MiB), 'memory outside');
  t.equal(cg('pids', id, 'pids.max'), '50', 'pids outside');
  t.equal(cg('cpu', id, 'cpu.cfs_quota_us'), '50000', 'cpu quota outside');
  t.equal(cg('cpuset', id, 'cpuset.cpus'), cpu, 'cpuset outside');
  t.ok(await waitFor(() => fs.readFileSync(out, 'utf8').split('\n').length >= 5), 'the container printed its view');
  t.same(fs.readFileSync(out, 'utf8').trim().split('\n'), [String(64 * MiB), '50', '50000', cpu], 'the same limits inside');
  t.equal(stateOf(root, id)?.status, 'running');
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});
