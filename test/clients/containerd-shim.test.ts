// containerd with tsrun's own shim (bin/containerd-shim-tsrun-v1, runtime io.containerd.tsrun.v1):
// a private containerd (test/clients/lib/containerd.ts) that finds the shim on its PATH, the
// busybox test image, and `ctr run --runtime io.containerd.tsrun.v1`. Checks: run (output, exit
// code), env/cwd, run -t, a detached task with exec (fifos, -t, -d), ps, pause/resume, metrics,
// kill and kill --all, delete, an OOM kill, the task events containerd receives from the shim
// (`ctr events`), and that nothing is left: no shim, no container, no mount, no cgroup, no state,
// no shim socket.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CONTAINERD, CONTAINERD_CLIENT_PATHS, CTR, ctr, startContainerd, taskStatus } from './lib/containerd';
import { cleanEnv, describe, lf, runInTerminal, shellQuote } from './lib/exec';
import { buildTestImage } from './lib/image';
import { clientSkipReason, REPO } from './lib/runtime';
import { Sandbox } from './lib/sandbox';
import { waitFor } from './lib/wait';
import { TtrpcClient } from '../../src/shim/ttrpc/client';
import { socketPath } from '../../src/shim/address';
import { Task } from '../../src/shim/gen/github.com/containerd/containerd/runtime/v2/task/shim_pb';

const NS = `tsshim-${process.pid}`;
const RUNTIME = 'io.containerd.tsrun.v1';
const SHIM = path.join(REPO, 'bin', 'containerd-shim-tsrun-v1');
// The shim's default state root (src/shim/options.ts): <root>/<namespace>.
const STATE_ROOT = path.join('/run/containerd/tsrun', NS);

function shimSkipReason(): string | false {
  const base = clientSkipReason([CONTAINERD, CTR]);
  if (base) return base;
  if (!fs.existsSync(path.join(REPO, 'dist', 'shim', 'shim.js'))) return 'run `npm run build` first (dist/shim/shim.js)';
  return false;
}

// Each task costs three cold Node starts here (the start action, the server, and the delete action
// containerd 1.6 runs after every task), which on a loaded 2-core machine took the file past tap's
// 120 s: its bound only turns a hang into a failure (no timing is asserted).
t.setTimeout(360_000);

t.test(`ctr with ${RUNTIME}`, { skip: shimSkipReason() }, async (t) => {
  const sb = new Sandbox('shim', { cgroups: [NS], runtimeRoots: [STATE_ROOT], clientPaths: CONTAINERD_CLIENT_PATHS });
  t.teardown(() => sb.teardown());
  const img = buildTestImage(sb.path('image', true));
  // containerd finds containerd-shim-<name>-<version> on its PATH (runtime/v2/shim/util.go BinaryName).
  process.env.PATH = `${path.dirname(SHIM)}:${process.env.PATH ?? ''}`;
  const c = await startContainerd(sb);
  const ref = `docker.io/${img.name}`;
  const runFlags = ['--runtime', RUNTIME, '--fifo-dir', sb.path('fifo', true)];
  t.equal(ctr(c, NS, ['images', 'import', img.dockerArchive]).status, 0, 'image imported');

  // Every event containerd publishes in our namespace, as `ctr events` prints them.
  const eventsLog = sb.path('events.log');
  const eventsFd = fs.openSync(eventsLog, 'w');
  const events = spawn(CTR, ['--address', c.address, 'events'], { stdio: ['ignore', eventsFd, eventsFd], env: cleanEnv() });
  fs.closeSync(eventsFd);
  t.teardown(() => {
    events.kill('SIGKILL');
  });

  t.test('run --rm: stdin, stdout, stderr, exit code, --env, --cwd', async (t) => {
    const r = ctr(c, NS, ['run', '--rm', ...runFlags, '--env', 'GREETING=hi there', '--cwd', '/tmp', ref, 'fg',
      'sh', '-c', 'cat; echo "$GREETING"; pwd; echo to stderr >&2; exit 3'], { input: 'line one\nline two\n' });
    t.equal(r.status, 3, `exit code of the container's process: ${describe(r)}`);
    t.equal(r.stdout, 'line one\nline two\nhi there\n/tmp\n', 'stdin copied by cat up to its EOF, then env and cwd');
    t.match(r.stderr, /to stderr/, 'its stderr');
    t.equal(taskStatus(c, NS, 'fg'), undefined, 'no task left');
  });

  t.test('run -d, task ps, task kill, task delete', async (t) => {
    const id = 'detached';
    const r = ctr(c, NS, ['run', '-d', ...runFlags, ref, id, 'sh', '-c', 'while :; do sleep 1; done']);
    t.equal(r.status, 0, describe(r));
    const st = taskStatus(c, NS, id);
    t.equal(st?.status, 'RUNNING', 'ctr task ls says RUNNING');
    t.ok(fs.existsSync(path.join(STATE_ROOT, id, 'state.json')), "tsrun's state is in the shim's root");
    const ps = ctr(c, NS, ['task', 'ps', id]);
    t.equal(ps.status, 0, describe(ps));
    t.match(ps.stdout, new RegExp(`^${st?.pid}\\s`, 'm'), 'task ps lists the init process');
    const k = ctr(c, NS, ['task', 'kill', '--signal', 'SIGKILL', id]);
    t.equal(k.status, 0, describe(k));
    t.ok(await waitFor(() => taskStatus(c, NS, id)?.status === 'STOPPED'), 'ctr task ls says STOPPED');
    const d = ctr(c, NS, ['task', 'delete', id]);
    t.equal(d.status, 0, describe(d));
    t.match(d.stdout + d.stderr, /137/, 'task delete reports the exit status (128+SIGKILL)');
    t.equal(taskStatus(c, NS, id), undefined, 'no task any more');
    t.equal(ctr(c, NS, ['container', 'delete', id]).status, 0, 'container deleted');
    t.notOk(fs.existsSync(path.join(STATE_ROOT, id)), "tsrun's state dir is gone");
  });

  t.test('task exec (fifos, -t, -d), task ps, pause/resume, metrics, kill --all', async (t) => {
    const id = 'busy';
    const r = ctr(c, NS, ['run', '-d', ...runFlags, ref, id, 'sh', '-c', 'while :; do sleep 1; done']);
    t.equal(r.status, 0, describe(r));
    const init = taskStatus(c, NS, id)?.pid;

    const e1 = ctr(c, NS, ['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'cat; echo "in $PWD as $(id -u)"; echo err >&2; exit 4'], { input: 'from stdin\n' });
    t.equal(e1.status, 4, `exit code of the exec'd process: ${describe(e1)}`);
    t.equal(e1.stdout, 'from stdin\nin / as 0\n', 'stdin copied up to its EOF, then stdout');
    t.match(e1.stderr, /err/, 'its stderr');

    // ctr sends its own terminal's size with ResizePty once the process started (ctr
    // HandleConsoleResize): script's pty is given 40x100 first, and the process waits for it.
    const execT = [CTR, '--address', c.address, '--namespace', NS, 'task', 'exec', '-t', '--exec-id', 'e2', id,
      'sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; for i in $(seq 50); do s=$(stty size 2>/dev/null); [ "$s" = "40 100" ] && break; sleep 0.1; done; echo "size $s"; exit 5'];
    // Input that comes long after the exec stage has gone still reaches the process, and ctr's
    // CloseIO right after its stdin's EOF does not drop what is still in the fifo.
    const late = spawn(CTR, ['--address', c.address, '--namespace', NS, 'task', 'exec', '--exec-id', 'late', id, 'sh', '-c', 'read line; echo "got $line"'], { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv() });
    let lateOut = '';
    let lateErr = '';
    late.stdout.on('data', (d: Buffer) => (lateOut += d.toString()));
    late.stderr.on('data', (d: Buffer) => (lateErr += d.toString()));
    // 'close': the exit status and all of its output.
    const lateExit = new Promise<number | null>((r) => late.on('close', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 2000));
    late.stdin.end('typed late\n');
    t.equal(await lateExit, 0, `exec with stdin written 2 s after the start: ${lateErr}`);
    t.equal(lateOut, 'got typed late\n', 'the late input reached the process');

    const e2 = runInTerminal(['sh', '-c', `stty rows 40 cols 100 && exec ${execT.map(shellQuote).join(' ')}`]);
    t.equal(e2.status, 5, describe(e2));
    t.match(ttyText(e2.stdout), /\/dev\/pts\/\d+\nboth-ttys\n/, 'stdin and stdout are a terminal');
    t.match(ttyText(e2.stdout), /size 40 100\n/, "ResizePty: the process's terminal has ctr's size");

    const bad = ctr(c, NS, ['task', 'exec', '--exec-id', 'bad', id, '/no/such/program']);
    t.not(bad.status, 0, describe(bad));
    t.match(bad.stderr, /no\/such\/program/, "a failed exec: ctr shows tsrun's reason");

    const e3 = ctr(c, NS, ['task', 'exec', '-d', '--exec-id', 'e3', id, 'sleep', '1000']);
    t.equal(e3.status, 0, describe(e3));
    const ps = ctr(c, NS, ['task', 'ps', id]);
    t.equal(ps.status, 0, describe(ps));
    t.match(ps.stdout, new RegExp(`^${init}\\s`, 'm'), 'task ps lists the init process');
    t.match(ps.stdout, /ExecID:\s*"?e3/, 'and the exec process, with its exec id');

    const pause = ctr(c, NS, ['task', 'pause', id]);
    t.equal(pause.status, 0, describe(pause));
    t.equal(taskStatus(c, NS, id)?.status, 'PAUSED', 'ctr task ls says PAUSED');
    const resume = ctr(c, NS, ['task', 'resume', id]);
    t.equal(resume.status, 0, describe(resume));
    t.equal(taskStatus(c, NS, id)?.status, 'RUNNING', 'and RUNNING after resume');

    const m = ctr(c, NS, ['task', 'metrics', id]);
    t.equal(m.status, 0, describe(m));
    t.match(m.stdout, /memory\.usage_in_bytes\s+[1-9]\d*/, 'task metrics: memory usage');
    t.match(m.stdout, /pids\.current\s+[1-9]\d*/, 'task metrics: the pids in the cgroup');

    // Update as CRI's UpdateContainerResources sends it (ctr 1.6 has no command for it): a
    // runtime-spec LinuxResources in JSON, straight to the shim's ttrpc socket.
    const rec = JSON.parse(fs.readFileSync(path.join(STATE_ROOT, id, 'state.json'), 'utf8')) as { cgroup?: { paths: Record<string, string> } };
    const memDir = rec.cgroup?.paths.memory;
    if (!memDir) {
      t.comment('no v1 memory cgroup on this host: Update checked for its answer only');
    }
    const client = await TtrpcClient.connect(socketPath(c.address, NS, id));
    try {
      const limit = 96 * 1024 * 1024;
      await client.call(Task.typeName, Task.method.update, {
        id, resources: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources', value: Buffer.from(JSON.stringify({ memory: { limit } })) },
      });
      t.pass('Update answered');
      if (memDir) t.equal(fs.readFileSync(path.join(memDir, 'memory.limit_in_bytes'), 'utf8').trim(), String(limit), 'Update: the memory limit is in the cgroup');
      await t.rejects(client.call(Task.typeName, Task.method.update, { id, resources: { typeUrl: 'other/Type', value: new Uint8Array() } }), /only types\.containerd\.io/, 'Update refuses another type by name');
    } finally {
      client.close();
    }

    const k = ctr(c, NS, ['task', 'kill', '--all', '--signal', 'SIGKILL', id]);
    t.equal(k.status, 0, describe(k));
    t.ok(await waitFor(() => taskStatus(c, NS, id)?.status === 'STOPPED'), 'kill --all: STOPPED');
    t.equal(ctr(c, NS, ['task', 'delete', id]).status, 0, 'task deleted');
    t.equal(ctr(c, NS, ['container', 'delete', id]).status, 0, 'container deleted');
    t.notOk(fs.existsSync(path.join(STATE_ROOT, id)), "tsrun's state dir is gone");
  });

  t.test('run -t: a terminal for the task', async (t) => {
    const r = runInTerminal([CTR, '--address', c.address, '--namespace', NS, 'run', '--rm', '-t', ...runFlags, ref, 'tty',
      'sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; exit 6']);
    t.equal(r.status, 6, describe(r));
    t.match(ttyText(r.stdout), /\/dev\/pts\/\d+\nboth-ttys\n/, 'stdin and stdout are a terminal');
    t.equal(taskStatus(c, NS, 'tty'), undefined, 'no task left');
  });

  t.test('an OOM kill: /tasks/oom', async (t) => {
    // tail(1) keeps the last lines of its input; /dev/zero has no newline, so it keeps all of it.
    const r = ctr(c, NS, ['run', '--rm', ...runFlags, '--memory-limit', String(32 * 1024 * 1024), ref, 'oom', 'tail', '/dev/zero']);
    t.equal(r.status, 137, `killed by the OOM killer (SIGKILL): ${describe(r)}`);
    t.ok(await waitFor(() => new RegExp(`${NS} /tasks/oom`).test(fs.readFileSync(eventsLog, 'utf8'))), 'ctr events shows /tasks/oom');
    t.equal(taskStatus(c, NS, 'oom'), undefined, 'no task left');
  });

  t.test('a failing create: the error reaches ctr, nothing is left', async (t) => {
    // tsrun resolves args[0] before `ready`, so a missing program fails Create itself.
    const r = ctr(c, NS, ['run', '--rm', ...runFlags, ref, 'nosuch', '/no/such/program']);
    t.not(r.status, 0, describe(r));
    t.match(r.stderr, /no\/such\/program/, "ctr shows tsrun's reason");
    t.equal(taskStatus(c, NS, 'nosuch'), undefined, 'no task');
    t.notOk(fs.existsSync(path.join(STATE_ROOT, 'nosuch')), 'no tsrun state');
    // containerd's bundle: <state>/io.containerd.runtime.v2.task/<namespace>/<id>, rootfs mounted by the shim.
    t.notOk(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(`/${NS}/nosuch/rootfs`), 'the rootfs is unmounted');
    ctr(c, NS, ['container', 'delete', 'nosuch']);
  });

  t.test('the shim published the task events', async (t) => {
    await waitFor(() => /\/tasks\/delete/.test(fs.readFileSync(eventsLog, 'utf8')));
    const log = fs.readFileSync(eventsLog, 'utf8');
    for (const topic of ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete', '/tasks/exec-added', '/tasks/exec-started', '/tasks/paused', '/tasks/resumed']) {
      t.match(log, new RegExp(`${NS} ${topic}`), `ctr events shows ${topic}`);
    }
  });

  t.test('nothing left behind', async (t) => {
    for (const line of ctr(c, NS, ['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
      ctr(c, NS, ['task', 'delete', '--force', line]);
      ctr(c, NS, ['container', 'delete', line]);
    }
    // Each shim exits after containerd's Shutdown once its last task is deleted.
    t.ok(await waitFor(() => !fs.readdirSync('/proc').some((p) => /^\d+$/.test(p) && cmdline(Number(p)).includes('dist/shim/shim.js') && cmdline(Number(p)).includes(NS))), 'no shim process of ours');
    events.kill('SIGKILL');
    t.same(await sb.teardown(), [], 'no process, mount, cgroup or tsrun state left');
    for (const f of sb.clientFiles) t.comment(`containerd's own, removed, not a leak: ${f}`);
  });
});

/**
 * A terminal's output as text: LF line ends, and without the "^@" the container's pty echoes for
 * the NUL script(1) writes when its stdin ends, which lands anywhere in the output (it is typed
 * while the process runs).
 */
function ttyText(s: string): string {
  return lf(s).replace(/\^@/g, '');
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
