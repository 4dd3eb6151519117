// `tsrun ps` and `tsrun events` on real containers (root): ps lists the host pids of the
// container's cgroup (init included) as runc's JSON array or as host ps(1) lines under its header;
// events prints runc's JSON event lines (--stats once, or a stream that ends when the container
// stops, with an oom event when the memory limit is hit, once the memory controller is applied).
// Each test ends with the leak check.
import fs from 'node:fs';
import t, { type Test } from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, delay, makeStateRoot, pidsInCgroupOf, quiet, skipReason, stateOf, swapEscapesOomReason, tsrun,
  tsrunAsync, uniqueId, waitFor,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

/** `run --detach` of `sh -c script` with a tmpfs /tmp; returns id and init's host pid. */
function startDetached(t: Test, script: string): { id: string; pid: number } {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
    c.process.args = ['sh', '-c', script];
  });
  const id = uniqueId('pse');
  t.teardown(() => tsrun(root, ['delete', '--force', id]));
  const r = tsrun(root, ['run', '--detach', '--bundle', bundle, id]);
  t.equal(r.status, 0, `run --detach: ${r.stderr}`);
  const st = stateOf(root, id);
  if (!st) throw new Error(`no state for ${id}`);
  return { id, pid: st.pid as number };
}

const TWO_SLEEPS = 'sleep 1000 & sleep 1000 & wait';

function psJson(id: string): number[] {
  const r = tsrun(root, ['ps', '--format', 'json', id]);
  if (r.status !== 0) throw new Error(`ps: ${r.stderr}`);
  return JSON.parse(r.stdout) as number[];
}

t.test('ps lists the container\'s processes (json and table)', { skip: skipReason }, async (t) => {
  const { id, pid } = startDetached(t, TWO_SLEEPS);
  let pids: number[] = [];
  t.ok(await waitFor(() => (pids = psJson(id)).length === 3), `init and two sleeps: ${JSON.stringify(pids)}`);
  const raw = tsrun(root, ['ps', '--format', 'json', id]).stdout;
  t.match(raw, /^\[\d+(,\d+)*\]\n$/, 'runc\'s compact JSON array of numbers');
  t.ok(pids.includes(pid), 'init\'s host pid is listed');
  t.same(pids, [...pids].sort((a, b) => a - b), 'ascending');
  t.same([...pids].sort((a, b) => a - b), pidsInCgroupOf(id).sort((a, b) => a - b), 'exactly the processes whose /proc/<pid>/cgroup names the container');
  t.same(JSON.parse(tsrun(root, ['ps', '-f', 'json', id]).stdout), pids, '-f json');

  // table: host ps -ef, header kept, one line per container process
  const table = tsrun(root, ['ps', id]);
  t.equal(table.status, 0, `ps: ${table.stderr}`);
  const lines = table.stdout.trimEnd().split('\n');
  t.match(lines[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/, 'ps -ef header');
  t.equal(lines.length, 1 + pids.length, 'one line per process');
  t.same(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort((a, b) => a - b), pids, 'the PID column holds the container pids');
  t.equal(lines.filter((l) => /sleep 1000$/.test(l)).length, 2, 'both sleeps shown');

  // ps options after the id (with or without --)
  for (const args of [['ps', id, '--', '-o', 'pid,args'], ['ps', id, '-eo', 'pid,args'], ['ps', '--format', 'table', id, '-o', 'pid,args']]) {
    const r = tsrun(root, args);
    t.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    const l = r.stdout.trimEnd().split('\n');
    t.match(l[0], /^\s*PID\s+COMMAND$/, `${args.join(' ')}: header of -o pid,args`);
    t.same(l.slice(1).map((x) => Number(x.trim().split(/\s+/)[0])).sort((a, b) => a - b), pids, `${args.join(' ')}: the container's pids`);
  }

  assertCleanError(t, tsrun(root, ['ps', '--format', 'xml', id]), /invalid format option: xml/);
  assertCleanError(t, tsrun(root, ['ps', id, '-o', 'comm']), /couldn't find PID field/);
  assertCleanError(t, tsrun(root, ['ps', id, '--no-such-ps-option']), /ps --no-such-ps-option exited with status/);
  assertCleanError(t, tsrun(root, ['ps']), /requires a minimum of 1 argument/);
  assertCleanError(t, tsrun(root, ['ps', 'no-such-container']), /container "no-such-container" does not exist/);

  t.equal(tsrun(root, ['kill', id, 'KILL']).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'));
  t.same(psJson(id), [], 'a stopped container has no processes');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

const STATS_KEYS = ['blkio', 'cpu', 'hugetlb', 'memory', 'pids'];

t.test('events --stats prints one stats event', { skip: skipReason }, async (t) => {
  const { id } = startDetached(t, TWO_SLEEPS);
  let pids: number[] = [];
  await waitFor(() => (pids = psJson(id)).length === 3);
  const r = tsrun(root, ['events', '--stats', id]);
  t.equal(r.status, 0, `events --stats: ${r.stderr}`);
  t.equal(r.stdout.split('\n').length, 2, 'exactly one line');
  const e = JSON.parse(r.stdout) as { type: string; id: string; data: Record<string, any> };
  t.same(Object.keys(e), ['type', 'id', 'data'], 'runc\'s event fields, in its order');
  t.equal(e.type, 'stats');
  t.equal(e.id, id);
  t.same(Object.keys(e.data).sort(), STATS_KEYS, 'the stats sections of runc\'s types.Stats');
  // Filled in as the controllers land; when a value is there it must be right.
  if (e.data.pids.current !== undefined) t.equal(e.data.pids.current, pids.length, 'pids.current counts the three tasks');
  if (e.data.memory.usage !== undefined) t.ok(e.data.memory.usage.usage > 0, 'memory usage is not zero');
  if (e.data.cpu.usage !== undefined) t.ok(e.data.cpu.usage.total > 0, 'some CPU time was used');

  t.equal(tsrun(root, ['kill', id, 'KILL']).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'));
  assertCleanError(t, tsrun(root, ['events', '--stats', id]), new RegExp(`container with id ${id} is not running`));
  assertCleanError(t, tsrun(root, ['events', id]), /is not running/);
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('events refuses bad arguments', { skip: skipReason }, async (t) => {
  assertCleanError(t, tsrun(root, ['events', '--interval', '0s', 'x']), /duration interval must be greater than 0/);
  assertCleanError(t, tsrun(root, ['events', '--interval=-1s', 'x']), /duration interval must be greater than 0/);
  assertCleanError(t, tsrun(root, ['events', '--interval', '5', 'x']), /invalid value "5" for flag --interval: time: missing unit in duration "5"/);
  assertCleanError(t, tsrun(root, ['events', '--interval', 'soon', 'x']), /invalid value "soon" for flag --interval/);
  assertCleanError(t, tsrun(root, ['events', 'no-such-container']), /container "no-such-container" does not exist/);
  assertCleanError(t, tsrun(root, ['events']), /requires exactly 1 argument/);
  assertNoLeaks(t, root);
});

/** `tsrun events ...` in the background; its stdout lines as they come, and its exit. */
function eventStream(args: string[]) {
  const child = tsrunAsync(root, ['events', ...args]);
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  return { child, lines, exited, isDone: () => done, stderr: () => stderr };
}

t.test('events streams stats every interval and ends when the container stops', { skip: skipReason }, async (t) => {
  const { id } = startDetached(t, TWO_SLEEPS);
  const ev = eventStream(['--interval', '200ms', id]);
  t.teardown(() => {
    if (!ev.isDone()) ev.child.kill('SIGKILL');
  });
  t.ok(await waitFor(() => ev.lines.length >= 3, 15_000), `three stats events arrived: ${ev.stderr()}`);
  t.notOk(ev.isDone(), 'still running while the container runs');
  t.equal(tsrun(root, ['pause', id]).status, 0);
  const n = ev.lines.length;
  t.ok(await waitFor(() => ev.lines.length > n, 5000), 'a paused container still reports stats');
  t.equal(tsrun(root, ['kill', '--all', id, 'KILL']).status, 0);
  const code = await Promise.race([ev.exited, delay(10_000).then(() => 'timeout' as const)]);
  t.equal(code, 0, 'events exits 0 by itself once the container stopped');
  for (const line of ev.lines) {
    const e = JSON.parse(line) as { type: string; id: string; data?: Record<string, unknown> };
    t.equal(e.type, 'stats', 'only stats events (no OOM here)');
    t.equal(e.id, id);
    t.same(Object.keys(e.data ?? {}).sort(), STATS_KEYS);
  }
  t.equal(ev.stderr(), '', 'nothing on stderr');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('events reports an OOM kill (once the memory limit can be set)', {
  skip: skipReason || (!fs.existsSync('/sys/fs/cgroup/memory') && 'no v1 memory controller') || swapEscapesOomReason(),
}, async (t) => {
  // dd's 64 MiB buffer is touched on the first read; under a 32 MiB limit with memory+swap capped
  // at the same 32 MiB (or no swap at all) the OOM killer picks dd (the largest task) and the
  // shell goes on to its long sleep.
  const { id, pid } = startDetached(t, 'while [ ! -e /tmp/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; echo dd-exit-$? > /tmp/done; sleep 1000');
  const u = tsrun(root, ['update', '--memory', '32m', '--memory-swap', '32m', id]);
  if (u.status !== 0) {
    assertCleanError(t, u, /\/linux\/resources\/memory/);
    t.comment(`memory limits not applied yet, no OOM to watch: ${u.stderr.trim()}`);
    t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
    assertNoLeaks(t, root);
    return;
  }
  const ev = eventStream(['--interval', '1h', id]);
  t.teardown(() => {
    if (!ev.isDone()) ev.child.kill('SIGKILL');
  });
  await delay(300); // let events read the starting OOM count
  fs.writeFileSync(`/proc/${pid}/root/tmp/go`, '');
  t.ok(await waitFor(() => ev.lines.length >= 1, 15_000), 'an event arrived');
  t.same(JSON.parse(ev.lines[0] ?? '{}'), { type: 'oom', id }, 'runc\'s oom event, without data');
  t.ok(await waitFor(() => fs.existsSync(`/proc/${pid}/root/tmp/done`)), 'the shell went on');
  t.match(fs.readFileSync(`/proc/${pid}/root/tmp/done`, 'utf8'), /dd-exit-137/, 'dd was SIGKILLed (128+9)');
  const stats = JSON.parse(tsrun(root, ['events', '--stats', id]).stdout) as { data: { memory: Record<string, any> } };
  if (stats.data.memory.usage !== undefined) t.equal(stats.data.memory.usage.limit, 32 * 1024 * 1024, 'the stats show the limit');
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  const code = await Promise.race([ev.exited, delay(10_000).then(() => 'timeout' as const)]);
  t.equal(code, 0, 'events ends when the container is gone');
  assertNoLeaks(t, root);
});
