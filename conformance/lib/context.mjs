// The per-case context: one temp work dir (bundle + logs), the case's container ids, thin
// wrappers around the real `bin/tsrun` CLI (always with this run's private --root), and the
// "nothing left behind" check of runtime.md "Errors" (an error leaves the environment as if the
// operation never ran). Every resource a case makes is registered so cleanup() can undo it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cgroupDirs, mountsMentioning, nowTicks, processesInCgroupsNamed, strayInitStages } from './host.mjs';
import { show } from './assert.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TSRUN = path.join(REPO, 'bin', 'tsrun');
export const ROOTFS = path.join(REPO, 'bundles', 'busybox', 'rootfs');

/** Marker put into tsrun's own environment: the container must never see it (config.md process.env). */
export const HOST_ENV_MARKER = 'TSRUN_CONFORMANCE_HOST_ONLY';

/** Facts shared by every case of one runner process. */
export const RUN = {
  prefix: `conf-${process.pid}-`,
  root: `/run/tsrun-conformance-${process.pid}`,
  tmpPrefix: path.join(os.tmpdir(), `tsrun-conf-${process.pid}-`),
};

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms) {
  Atomics.wait(sleepBuf, 0, 0, ms);
}

let baseConfigCache;
/** `tsrun spec` with terminal false and root.path = the shared busybox rootfs (bundles/README.md). */
export function baseConfig() {
  if (!baseConfigCache) {
    const dir = fs.mkdtempSync(`${RUN.tmpPrefix}spec-`);
    try {
      const r = spawnSync(TSRUN, ['spec', '--bundle', dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tsrun spec failed: ${r.stderr}`);
      const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      c.process.terminal = false;
      c.root.path = ROOTFS;
      baseConfigCache = JSON.stringify(c);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return JSON.parse(baseConfigCache);
}

/** Runs a command synchronously; result { status, signal, stdout, stderr }. */
export function exec(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    input: opts.input,
    env: opts.env ?? { ...process.env, [HOST_ENV_MARKER]: '1' },
    stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'],
    cwd: opts.cwd,
    killSignal: 'SIGKILL',
  });
  const res = { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
  if (process.env.CONFORMANCE_VERBOSE) {
    // Debug aid: every command with its exit status and stderr, on the runner's stderr.
    process.stderr.write(`  $ ${[cmd, ...args].join(' ')} -> ${res.status ?? res.signal}\n${res.stderr.replace(/^/gm, '    ')}\n`);
  }
  return res;
}

export class Context {
  /** @param {string} name case name @param {number} index case number (makes ids unique) */
  constructor(name, index) {
    this.name = name;
    this.id = `${RUN.prefix}${index}`;
    this.work = fs.mkdtempSync(RUN.tmpPrefix);
    this.bundle = path.join(this.work, 'bundle');
    this.logs = path.join(this.work, 'logs');
    fs.mkdirSync(this.bundle);
    fs.mkdirSync(this.logs);
    this.config = baseConfig();
    this.ids = new Set([this.id]);
    this.cleanups = [];
    this.startTicks = nowTicks();
  }

  /** Another container id for this case (kept unique and cleaned up). */
  newId(suffix) {
    const id = `${this.id}-${suffix}`;
    this.ids.add(id);
    return id;
  }

  /** Registers an undo step (run in reverse order, even when the case failed). */
  defer(fn) {
    this.cleanups.push(fn);
  }

  /** Writes `config` (default this.config) as `bundle`/config.json. */
  writeConfig(config = this.config, bundle = this.bundle) {
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  }

  /** A second bundle dir inside the work dir, with its own config. */
  makeBundle(name, config) {
    const dir = path.join(this.work, name);
    fs.mkdirSync(dir, { recursive: true });
    this.writeConfig(config, dir);
    return dir;
  }

  /** `tsrun --root <private root> ...args`. `opts.shellPrefix` runs it behind `sh -c '<prefix>; exec tsrun ...'`. */
  tsrun(args, opts = {}) {
    const full = ['--root', RUN.root, ...args];
    if (opts.shellPrefix) {
      const quoted = [TSRUN, ...full].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      return exec('sh', ['-c', `${opts.shellPrefix}; exec ${quoted}`], opts);
    }
    return exec(TSRUN, full, opts);
  }

  /** `tsrun run` (foreground) of this case's bundle; the config is written first. */
  run(opts = {}) {
    this.writeConfig(opts.config ?? this.config, opts.bundle ?? this.bundle);
    return this.tsrun(['run', '--bundle', opts.bundle ?? this.bundle, ...(opts.flags ?? []), opts.id ?? this.id], opts);
  }

  logFile(id, stream) {
    return path.join(this.logs, `${id}.${stream}`);
  }

  /**
   * `tsrun create`. The container keeps the stdio it gets at create (runc's non-terminal mode),
   * so stdout/stderr go to files rather than pipes (a pipe would stay open, and block, until the
   * container exits). The result's stdout/stderr are those files' contents right after create.
   */
  create(id = this.id, opts = {}) {
    const bundle = opts.bundle ?? this.bundle;
    if (opts.write !== false) this.writeConfig(opts.config ?? this.config, bundle);
    this.ids.add(id);
    const out = fs.openSync(this.logFile(id, 'out'), 'a');
    const err = fs.openSync(this.logFile(id, 'err'), 'a');
    try {
      const r = this.tsrun(['create', '--bundle', bundle, ...(opts.flags ?? []), id], { ...opts, stdio: ['ignore', out, err, ...(opts.extraStdio ?? [])] });
      const res = { ...r, stdout: this.output(id), stderr: this.errors(id) };
      if (process.env.CONFORMANCE_VERBOSE) process.stderr.write(`    (create stderr) ${res.stderr}\n`);
      return res;
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
    }
  }

  /** Everything the container (and tsrun create) wrote to stdout so far. */
  output(id = this.id) {
    try {
      return fs.readFileSync(this.logFile(id, 'out'), 'utf8');
    } catch {
      return '';
    }
  }

  errors(id = this.id) {
    try {
      return fs.readFileSync(this.logFile(id, 'err'), 'utf8');
    } catch {
      return '';
    }
  }

  start(id = this.id) {
    return this.tsrun(['start', id]);
  }

  kill(id = this.id, ...args) {
    return this.tsrun(['kill', id, ...args]);
  }

  delete(id = this.id, force = false) {
    return this.tsrun(['delete', ...(force ? ['--force'] : []), id]);
  }

  /** `tsrun state id` parsed; throws with tsrun's stderr when it fails. */
  state(id = this.id) {
    const r = this.tsrun(['state', id]);
    if (r.status !== 0) throw new Error(`tsrun state ${id} failed (${r.status}): ${r.stderr.trim()}`);
    try {
      return JSON.parse(r.stdout);
    } catch {
      throw new Error(`tsrun state ${id} printed no JSON: ${show(r.stdout)}`);
    }
  }

  /** Polls `tsrun state` until status is `status` (runtime.md lifecycle step 7: the process exits). */
  waitStatus(status, id = this.id, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = this.state(id);
      if (last.status === status) return last;
      if (Date.now() > deadline) throw new Error(`container ${id}: still "${last.status}" after ${timeoutMs} ms, expected "${status}"`);
      sleepMs(50);
    }
  }

  /** Polls until `fn()` is true (for output a started container writes asynchronously). */
  waitFor(fn, what, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!fn()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      sleepMs(50);
    }
  }

  /**
   * What must hold after a refused create or a delete: the id is not listed, its state dir is
   * gone, no cgroup dir, no host mount mentioning the bundle/work dir, no process in its cgroup,
   * no init stage left running. Returns a list of problems (empty = clean).
   */
  leftovers(id = this.id, opts = {}) {
    const problems = [];
    const listed = this.tsrun(['list', '-q']).stdout.split('\n').filter(Boolean);
    const allowed = new Set(opts.otherIds ?? []);
    const extra = listed.filter((x) => !allowed.has(x));
    if (extra.length) problems.push(`tsrun list -q shows ${extra.join(', ')}`);
    if (fs.existsSync(path.join(RUN.root, id))) problems.push(`state dir ${path.join(RUN.root, id)} exists`);
    const cg = cgroupDirs(opts.cgroupPath ?? `/tsrun/${id}`);
    if (cg.length) problems.push(`cgroup dirs left: ${cg.join(' ')}`);
    const mounts = mountsMentioning([this.work, ...(opts.mountNeedles ?? [])]);
    if (mounts.length) problems.push(`host mounts left: ${mounts.map((m) => m.mountPoint).join(' ')}`);
    const inCg = processesInCgroupsNamed(`/${id}\n`).concat(processesInCgroupsNamed(`/${id}/`));
    if (inCg.length) problems.push(`processes in its cgroup: ${inCg.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
    // A killed init stage may need a moment to disappear; only a lasting one is a leak.
    let stray = strayInitStages(this.startTicks, RUN.prefix);
    for (let i = 0; stray.length && i < 20; i++) {
      sleepMs(100);
      stray = strayInitStages(this.startTicks, RUN.prefix);
    }
    if (stray.length) problems.push(`init stages still running: ${stray.map((p) => p.pid).join(' ')}`);
    return problems;
  }

  /** Throws when leftovers() finds anything. */
  assertNothingLeft(id = this.id, opts = {}) {
    const problems = this.leftovers(id, opts);
    if (problems.length) throw new Error(`left behind after ${opts.after ?? 'the failed create'}: ${problems.join('; ')}`);
  }

  /** Force-deletes every id, runs the deferred undo steps, removes the work dir. Never throws. */
  cleanup() {
    const errors = [];
    for (const id of this.ids) {
      if (fs.existsSync(path.join(RUN.root, id))) {
        const r = this.delete(id, true);
        if (r.status !== 0) errors.push(`delete --force ${id}: ${r.stderr.trim()}`);
      }
    }
    for (const fn of this.cleanups.reverse()) {
      try {
        fn();
      } catch (e) {
        errors.push(String(e instanceof Error ? e.message : e));
      }
    }
    // Never rm -r across a mount point: a leaked bind mount could point at the shared rootfs.
    const mounted = mountsMentioning([this.work]);
    if (mounted.length) {
      errors.push(`not removing ${this.work}: mounts still under it (${mounted.map((m) => m.mountPoint).join(' ')})`);
      return errors;
    }
    try {
      fs.rmSync(this.work, { recursive: true, force: true });
    } catch (e) {
      errors.push(`rm ${this.work}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return errors;
  }
}
