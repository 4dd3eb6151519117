// Test harness for integration and conformance tests (root): build a bundle from the default spec
// plus a patch, run the real `tsrun` CLI with a private state root, and check that nothing is
// left behind (mounts, cgroups, processes, state dirs).
import { spawnSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';

export const REPO = path.resolve(__dirname, '..', '..');
export const TSRUN = path.join(REPO, 'bin', 'tsrun');
const ROOTFS = path.join(REPO, 'bundles', 'busybox', 'rootfs');

const isRoot = process.getuid?.() === 0;
const haveRootfs = fs.existsSync(path.join(ROOTFS, 'bin', 'busybox'));
const haveBuild = fs.existsSync(path.join(REPO, 'dist', 'tsrun.js'));
/** Reason to skip a root integration test, or false when it can run. */
export const skipReason: string | false = !isRoot ? 'needs root' : !haveBuild ? 'run `npm run build` first'
  : !haveRootfs ? 'run scripts/setup-bundles.sh first' : false;

/**
 * tsrun is started through env(1) without NODE_OPTIONS: tap's @tapjs/processinfo puts an --import
 * hook into NODE_OPTIONS of every child it spawns (even with an explicit env), and from tsrun it
 * would reach the init stage, which then writes .tap/processinfo files into the container's rootfs
 * when it exits after pivot_root.
 */
const ENV = '/usr/bin/env';
const NO_TAP_HOOKS = ['-u', 'NODE_OPTIONS'];

/** Directories this test process made (bundles, rootfs copies, shared dirs): see ownLeaks. */
const ownDirs = new Set<string>();

let counter = 0;
/** A unique container id for this test process. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A private state root for one test file; removed by `cleanupRoot`. */
export function makeStateRoot(): string {
  return fs.mkdtempSync('/run/tsrun-test-');
}

/**
 * Runs `tsrun --root <root> ...args` and waits for it. stdout/stderr go through temp files, not
 * pipes: a container made by `create` or `run --detach` inherits them (non-terminal mode passes
 * tsrun's stdio through, as runc does), and spawnSync would wait for every holder of a pipe.
 */
export function tsrun(root: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Result {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-out-'));
  const outFd = fs.openSync(path.join(dir, 'out'), 'w+');
  const errFd = fs.openSync(path.join(dir, 'err'), 'w+');
  try {
    const r = spawnSync(ENV, [...NO_TAP_HOOKS, TSRUN, '--root', root, ...args], {
      encoding: 'utf8',
      cwd: opts.cwd,
      input: opts.input,
      timeout: opts.timeoutMs ?? 60_000,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', outFd, errFd],
    });
    if (r.error) throw r.error;
    return {
      status: r.status,
      signal: r.signal,
      stdout: fs.readFileSync(path.join(dir, 'out'), 'utf8'),
      stderr: fs.readFileSync(path.join(dir, 'err'), 'utf8'),
    };
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts `tsrun` without waiting (for signal tests); returns the ChildProcess. */
export function tsrunAsync(root: string, args: string[]) {
  return spawn(ENV, [...NO_TAP_HOOKS, TSRUN, '--root', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

type Json = Record<string, unknown>;

/** runc's default spec as `tsrun spec` writes it, with terminal off and the shared busybox rootfs. */
function baseConfig(): Json {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-spec-'));
  try {
    const r = spawnSync(TSRUN, ['spec', '--bundle', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tsrun spec failed: ${r.stderr}`);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Json;
    (c.process as Json).terminal = false;
    (c.root as Json).path = ROOTFS;
    return c;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes a bundle dir whose config is base + `mutate`; returns its path. */
function makeBundle(mutate: (c: any) => void = () => {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bundle-'));
  ownDirs.add(dir);
  const c = baseConfig();
  mutate(c);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c, null, 2));
  return dir;
}

/** `tsrun run` of a bundle whose process is `sh -c script`: the simplest "what does it see inside" probe. */
export function runScript(root: string, script: string, mutate: (c: any) => void = () => {}): Result {
  const bundle = makeBundle((c) => {
    c.process.args = ['sh', '-c', script];
    mutate(c);
  });
  try {
    return tsrun(root, ['run', '--bundle', bundle, uniqueId('run')]);
  } finally {
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}

/** What the leak check compares: tsrun-made mounts, cgroup dirs, processes. */
export function leakSnapshot(root: string): { mounts: string[]; cgroups: string[]; processes: string[]; state: string[] } {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => /tsrun|bundles\/busybox\/rootfs/.test(l)).map((l) => l.split(' ')[4]);
  // Only what this test process made (ids from uniqueId carry its pid), so test files and other
  // tsrun users running at the same time do not count as leaks.
  const tag = `-${process.pid}-`;
  const cgroups: string[] = [];
  for (const h of safeReaddir('/sys/fs/cgroup')) {
    const base = path.join('/sys/fs/cgroup', h, 'tsrun');
    for (const d of safeReaddir(base)) if (d.includes(tag)) cgroups.push(path.join(base, d));
  }
  const processes = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n')
    .filter((l) => l.includes('dist/init.js'))
    .filter((l) => {
      try {
        return fs.readFileSync(`/proc/${l.trim().split(' ')[0]}/cgroup`, 'utf8').includes(tag);
      } catch {
        return false;
      }
    });
  const state = safeReaddir(root);
  return { mounts, cgroups, processes, state };
}

function safeReaddir(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}

/** Removes the state root (after a test file); force-deletes anything a failed test left. */
export function cleanupRoot(root: string): void {
  for (const id of safeReaddir(root)) tsrun(root, ['delete', '--force', id]);
  fs.rmSync(root, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Helpers for the integration suite (test/integration/*.test.ts): bundles that clean themselves
// up, private rootfs copies, spawning with custom stdio, polling, and the shared assertions
// ("one clear line, exit 1, no stack trace", "nothing left").

/** A tap test (the helpers register teardowns and assertions on it). */
type TestLike = Test;

/** makeBundle, removed when the test ends. */
export function bundleFor(t: TestLike, mutate: (c: any) => void = () => {}): string {
  const dir = makeBundle(mutate);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A private copy of the busybox rootfs (`cp -a`), for tests that plant symlinks or files in it.
 * Its path contains "tsrun" so leakSnapshot's mount check covers it. Removed at teardown.
 */
export function copyRootfs(t: TestLike): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-rootfs-'));
  ownDirs.add(dir);
  const r = spawnSync('cp', ['-a', `${ROOTFS}/.`, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp -a rootfs: ${r.stderr}`);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Drops the default spec's ambient set (runc's pre-1.2 default lists ambient capabilities that are
 * not inheritable, which the kernel cannot raise). tsrun no longer warns about them (a debug line,
 * test/integration/process.test.ts "runs quietly"), so this only keeps a test's config minimal.
 */
export function quiet(c: any): void {
  if (c.process?.capabilities) delete c.process.capabilities.ambient;
}

/** `tsrun` with a caller-chosen stdio array (extra fds for --preserve-fds, or 'ignore'), and environment. */
export function tsrunSpawn(root: string, args: string[], stdio: StdioOptions, env: NodeJS.ProcessEnv = process.env) {
  return spawn(ENV, [...NO_TAP_HOOKS, TSRUN, '--root', root, ...args], { stdio, env });
}

/** Collects a child's stdout/stderr and waits for its exit. */
export function collect(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms until it is true or `timeoutMs` passes (a bound, never asserted as a duration). */
export async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await delay(20);
  }
}

/** `tsrun state ID` parsed, or undefined when it fails. */
export function stateOf(root: string, id: string): Record<string, any> | undefined {
  const r = tsrun(root, ['state', id]);
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as Record<string, any>;
}

/** stderr lines that are not warnings (warnings never change the flow, runtime.md). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !/level=warning/.test(l));
}

/** The "Bad input and faults" contract: exit 1, one line on stderr, no stack trace. */
export function assertCleanError(t: TestLike, r: Result, pattern?: RegExp): void {
  t.equal(r.status, 1, `exit status 1 (stderr: ${r.stderr.trim()})`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 1, `exactly one line on stderr: ${JSON.stringify(lines)}`);
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace');
  t.notMatch(r.stderr, /internal error/, 'not an internal error');
  if (pattern) t.match(r.stderr, pattern);
}

/**
 * What this test process left: leakSnapshot's four lists, narrowed to what is ours, because
 * other suites (conformance/, another engineer's runs) may have containers alive on the same
 * machine at the same time. Ours: host mounts of our bundles, rootfs copies and shared dirs or
 * of the shared rootfs; cgroups named after our ids (uniqueId puts our pid in them); init
 * stages in one of those cgroups or holding a file under our state root; our state root's
 * entries. zz-leaks.test.ts checks the whole machine at the end.
 */
export function ownLeaks(root: string): { mounts: string[]; cgroups: string[]; processes: string[]; state: string[] } {
  const ours = (p: string) => p.startsWith(ROOTFS) || [...ownDirs].some((d) => p === d || p.startsWith(d + '/'));
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]).filter((mp) => mp !== undefined && ours(mp));
  const idRe = new RegExp(`-${process.pid}-\\d+$`);
  const cgroups: string[] = [];
  for (const h of safeReaddir('/sys/fs/cgroup')) {
    const base = path.join('/sys/fs/cgroup', h, 'tsrun');
    for (const id of safeReaddir(base)) if (idRe.test(id)) cgroups.push(path.join(base, id));
  }
  const processes = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n')
    .filter((l) => l.includes('dist/init.js')).filter((l) => {
      const pid = l.trim().split(/\s+/)[0];
      let cg = '';
      try {
        cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      } catch {
        return false; // gone
      }
      if (cg.split('\n').some((x) => idRe.test(x.trim()))) return true;
      return safeReaddir(`/proc/${pid}/fd`).some((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(root + '/');
        } catch {
          return false;
        }
      });
    });
  return { mounts, cgroups, processes, state: safeReaddir(root) };
}

/** ownLeaks is all empty. */
export function assertNoLeaks(t: TestLike, root: string, msg = 'nothing left behind'): void {
  t.same(ownLeaks(root), { mounts: [], cgroups: [], processes: [], state: [] }, msg);
}

/** Host pids whose /proc/<pid>/cgroup names the container's cgroup (any hierarchy). */
export function pidsInCgroupOf(id: string): number[] {
  const out: number[] = [];
  for (const name of safeReaddir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cg = fs.readFileSync(`/proc/${name}/cgroup`, 'utf8');
      if (cg.split('\n').some((l) => l.endsWith(`/tsrun/${id}`) || l.includes(`/tsrun/${id}/`))) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** A host directory for talking to a container (bind it in with `bindShared`); removed at teardown. */
export function sharedDir(t: TestLike): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-shared-'));
  ownDirs.add(dir);
  fs.chmodSync(dir, 0o777);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Adds a read-write bind mount of the host dir `host` at `dest` in the container. The default
 * is /tmp, which the busybox rootfs has: a new mount point would be made in the shared rootfs.
 */
export function bindShared(c: any, host: string, dest = '/tmp'): void {
  c.mounts.push({ destination: dest, type: 'bind', source: host, options: ['rbind', 'rw'] });
}

/** Is the pid alive (a zombie is not: it has exited and only waits for its parent to reap it)? */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Facts about this host that some assertions depend on. A test reads them instead of assuming
// this project's machines (no swap, CPU 0 and memory node 0 available to every cgroup), and says
// which case it checked or why it skipped.

/** SwapTotal of /proc/meminfo in kB (0: no swap). */
function hostSwapKiB(): number {
  return Number(/^SwapTotal:\s+(\d+)/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
}

/** Whether the v1 memory hierarchy accounts swap per cgroup (memory.memsw.*, memory.rst 2.4: CONFIG_MEMCG_SWAP and swapaccount=1). */
function hasMemswAccounting(memoryRoot = '/sys/fs/cgroup/memory'): boolean {
  return fs.existsSync(path.join(memoryRoot, 'memory.memsw.limit_in_bytes'));
}

/**
 * Why a v1 OOM-kill test cannot run here, or false. Past memory.limit_in_bytes the kernel first
 * reclaims, which includes swapping anonymous memory out (memory.rst 2.5): with swap and no
 * memsw file nothing bounds memory+swap, so the "hog" is swapped out instead of killed. With memsw,
 * the tests also cap memory+swap at the limit (oomMemory), so the kill does not depend on swap.
 */
export function swapEscapesOomReason(memoryRoot = '/sys/fs/cgroup/memory'): string | false {
  const swap = hostSwapKiB();
  if (swap === 0 || hasMemswAccounting(memoryRoot)) return false;
  return `this host has ${swap} kB of swap and no per-cgroup swap accounting (no memory.memsw.limit_in_bytes): memory past the limit is swapped out, not OOM-killed`;
}

/**
 * linux.resources.memory for an OOM test: `limit`, and on a host with swap and memsw accounting
 * also memory+swap capped at the limit (swap = limit), so the hog cannot escape to swap. Without
 * swap memsw is left alone: the kill then comes from memory.limit_in_bytes (its failcnt counts).
 */
export function oomMemory(limit: number, memoryRoot = '/sys/fs/cgroup/memory'): { limit: number; swap?: number } {
  return hostSwapKiB() > 0 && hasMemswAccounting(memoryRoot) ? { limit, swap: limit } : { limit };
}

/** The first number of a cpuset list ("0-3,8" -> 0; "" -> undefined). */
function firstOfCpuList(list: string): number | undefined {
  const m = /^\s*(\d+)/.exec(list);
  return m ? Number(m[1]) : undefined;
}

/**
 * A CPU and a memory node every container cgroup may use: the first of the v1 cpuset root's
 * cpuset.cpus / cpuset.mems (a child's set must be a subset of its parent's, cpuset(7)). Not
 * always 0: CPU 0 can be offline and node 0 can be memoryless.
 */
export function firstCpusetIds(cpusetRoot = '/sys/fs/cgroup/cpuset'): { cpu: string; mem: string } {
  const read = (f: string) => {
    try {
      return fs.readFileSync(path.join(cpusetRoot, f), 'utf8');
    } catch {
      return '';
    }
  };
  return { cpu: String(firstOfCpuList(read('cpuset.cpus')) ?? 0), mem: String(firstOfCpuList(read('cpuset.mems')) ?? 0) };
}
