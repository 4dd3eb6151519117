// One client test file's private world and its cleanup: a temp dir for every root, state and
// socket dir of the client and its daemons, the daemons themselves (started by the test, stopped
// at the end), and the sweep at the end, which keeps two things apart:
//   - what the runtime under test leaves behind, reported as leaks: mounts naming the dir,
//     processes running from it or in the clients' cgroups, per-container cgroup dirs below the
//     top-level ones the clients create (/sys/fs/cgroup/<ctrl>/<ns>, .../libpod_parent, a docker
//     --cgroup-parent), new network namespaces, and container state left in the runtime's state
//     roots (its private root inside the dir, or its default root /run/tsrun, /run/runc when the
//     client passes no --root);
//   - what the client makes for itself on the host although every root of it points into the dir
//     (caches, first-run files, plugin and shim socket dirs: SandboxOptions.clientPaths): removed
//     when new, so the machine is left as it was, and listed in clientFiles, never as a leak.
// A leak is cleaned as well as reported, so one failed check does not spoil the suite's final
// whole-machine check.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv } from './exec';

const CGROUP_ROOT = '/sys/fs/cgroup';
const NETNS_DIRS = ['/run/netns', '/var/run/netns'];

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function safeReaddir(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Every non-directory under p (p itself when it is a file). */
function filesUnder(p: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return [];
  }
  if (!st.isDirectory()) return [p];
  return safeReaddir(p).flatMap((n) => filesUnder(path.join(p, n)));
}

export interface SandboxOptions {
  /** Top-level cgroup names the client creates in each hierarchy (removed when they did not exist before). */
  cgroups: string[];
  /**
   * The runtime's default state roots on the host that the client may make it use (its --root, one
   * dir per container; private roots inside the dir are added with runtimeRoot()). Every entry
   * left in one at the end is a container the
   * runtime did not delete: a leak. The root itself is not (runc and tsrun make it on demand and
   * keep it); a host root that did not exist before is removed. A host root that already existed
   * may hold other users' containers, so there only the dirs named with expectGone are checked.
   */
  runtimeRoots: string[];
  /**
   * Host paths the client itself creates for its own use although its roots point into the dir,
   * each with the reason (shown with what was found there). Removed when they did not exist
   * before; their files are the client's, listed in `clientFiles`, not leaks of the runtime.
   */
  clientPaths: Readonly<Record<string, string>>;
  /** Shared child cgroups the client never removes (podman's <parent>/conmon): removed, not reported. */
  sharedChildCgroups?: string[];
}

interface Daemon {
  name: string;
  child: ChildProcess;
  log: string;
}

export class Sandbox {
  readonly dir: string;
  private readonly daemons: Daemon[] = [];
  private readonly newCgroups: string[];
  private readonly newClientPaths: Array<[string, string]>;
  private readonly runtimeRootsToSweep: string[] = [];
  private readonly newRuntimeRoots: string[] = [];
  /** After teardown: what the client left in its own new host paths (removed; not leaks), "path (why)". */
  readonly clientFiles: string[] = [];
  private readonly netnsBefore: Set<string>;
  private readonly mustVanish: string[] = [];
  private readonly sharedChildCgroups: string[];
  private done = false;

  constructor(name: string, opts: SandboxOptions) {
    // Not under a "tsrun" path: the integration suite's leak checks treat any such mount as
    // tsrun's. Short, because the daemons' sockets live here and sun_path holds 108 bytes.
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsclients-${name}-`));
    this.newCgroups = opts.cgroups.filter((c) => !safeReaddir(CGROUP_ROOT).some((h) => exists(path.join(CGROUP_ROOT, h, c))));
    this.newClientPaths = Object.entries(opts.clientPaths).filter(([p]) => !exists(p));
    for (const r of opts.runtimeRoots) this.runtimeRoot(r);
    this.sharedChildCgroups = opts.sharedChildCgroups ?? [];
    this.netnsBefore = new Set(NETNS_DIRS.flatMap((d) => safeReaddir(d).map((n) => path.join(d, n))));
  }

  /** A path inside the sandbox dir (made as a directory when `mkdir`). */
  path(rel: string, mkdir = false): string {
    const p = path.join(this.dir, rel);
    if (mkdir) fs.mkdirSync(p, { recursive: true });
    return p;
  }

  /**
   * Registers a state root of the runtime (the --root the client passes it, or its default root):
   * every container dir left in it at the end is reported as a leak. Checked only when it does not
   * exist yet (a host root that already exists may hold other users' containers: use expectGone).
   */
  runtimeRoot(root: string): void {
    if (exists(root)) return;
    this.runtimeRootsToSweep.push(root);
    // Private roots go with the dir; a new host root is removed after the sweep.
    if (!root.startsWith(this.dir + path.sep)) this.newRuntimeRoots.push(root);
  }

  /** A host path that must not exist after the teardown (a runtime state dir in a default root). */
  expectGone(p: string): void {
    this.mustVanish.push(p);
  }

  /**
   * Starts a daemon in its own process group, output to <dir>/<name>.log, and waits until its
   * unix socket accepts connections. Throws (with the log's tail) when it does not come up.
   */
  async startDaemon(name: string, file: string, args: string[], socket: string, timeoutMs = 20_000): Promise<void> {
    const log = this.path(`${name}.log`);
    const fd = fs.openSync(log, 'a');
    // TMPDIR inside the sandbox: containerd's shim writes exec process files (runc-process*) and
    // console sockets (pty*/pty.sock) into os.TempDir().
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env: cleanEnv({ TMPDIR: this.path('tmp', true) }), cwd: this.dir });
    fs.closeSync(fd);
    this.daemons.push({ name, child, log });
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await canConnect(socket)) return;
      await delay(50);
    }
    throw new Error(`${name} did not come up (${file} ${args.join(' ')}): ${tail(log)}`);
  }

  /** The daemon's log so far (for failure messages). */
  daemonLog(name: string): string {
    const d = this.daemons.find((x) => x.name === name);
    return d ? tail(d.log) : '';
  }

  /**
   * Stops the daemons (last started first: SIGTERM, then SIGKILL after 20 s), then sweeps: every
   * leak is removed and described in the returned list (empty when nothing was left). Runs once.
   */
  async teardown(): Promise<string[]> {
    if (this.done) return [];
    this.done = true;
    const leaks: string[] = [];
    for (const d of [...this.daemons].reverse()) {
      if (!(await stop(d.child, 20_000))) leaks.push(`daemon ${d.name} (pid ${d.child.pid}) ignored SIGTERM for 20 s`);
    }
    // Shims (containerd-shim-runc-v2, conmon) and containers outlive their daemons by design.
    for (let round = 0; round < 50; round++) {
      if (this.strayProcesses().length === 0) break;
      await delay(100);
    }
    for (const p of this.strayProcesses()) {
      leaks.push(`process ${p.pid}: ${p.desc}`);
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (leaks.some((l) => l.startsWith('process '))) await delay(500);
    for (const m of this.mountsOfDir()) {
      leaks.push(`mount ${m}`);
      spawnSync('umount', ['-l', m]);
    }
    for (const c of this.newCgroups) leaks.push(...removeCgroupTree(c, this.sharedChildCgroups));
    // The runtime's: a container dir (state.json, exec fifo) still in its root.
    for (const r of this.runtimeRootsToSweep) {
      for (const e of safeReaddir(r)) {
        const files = filesUnder(path.join(r, e));
        leaks.push(`runtime state ${path.join(r, e)}${files.length > 0 ? ` (${files.map((f) => path.relative(r, f)).join(', ')})` : ''}`);
      }
    }
    for (const r of this.newRuntimeRoots) fs.rmSync(r, { recursive: true, force: true });
    // The client's own: put the machine back as it was, say what was there.
    for (const [p, why] of this.newClientPaths) {
      const files = filesUnder(p);
      if (files.length > 0) this.clientFiles.push(`${files.join(', ')} (${why})`);
      fs.rmSync(p, { recursive: true, force: true });
    }
    for (const p of this.mustVanish) {
      if (exists(p)) {
        leaks.push(`runtime state ${p}`);
        fs.rmSync(p, { recursive: true, force: true });
      }
    }
    for (const ns of NETNS_DIRS.flatMap((d) => safeReaddir(d).map((n) => path.join(d, n)))) {
      if (!this.netnsBefore.has(ns)) leaks.push(`network namespace ${ns}`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    return leaks;
  }

  /** Mount points whose mountinfo line names our dir (mount point, source or overlay options). */
  private mountsOfDir(): string[] {
    return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(this.dir))
      .map((l) => l.split(' ')[4]).filter((m): m is string => m !== undefined).reverse();
  }

  /** Processes (not us) running from our dir, naming it in their argv, or in one of the clients' cgroups. */
  private strayProcesses(): { pid: number; desc: string }[] {
    const out: { pid: number; desc: string }[] = [];
    const cgRe = this.newCgroups.map((c) => `:/${c}`);
    for (const name of safeReaddir('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        if (/\) [ZX] /.test(stat)) continue;
        const cg = fs.readFileSync(`/proc/${name}/cgroup`, 'utf8');
        let cwd = '';
        try {
          cwd = fs.readlinkSync(`/proc/${name}/cwd`);
        } catch {
          // kernel thread or gone
        }
        const inCg = cg.split('\n').some((l) => cgRe.some((c) => l.includes(`${c}/`) || l.endsWith(c)));
        if (cmdline.includes(this.dir) || cwd.startsWith(this.dir) || inCg) out.push({ pid: Number(name), desc: cmdline || '(no cmdline)' });
      } catch {
        // gone
      }
    }
    return out;
  }
}

/** Removes /sys/fs/cgroup/<h>/<name> and everything below it, deepest first, in every hierarchy. */
function removeCgroupTree(name: string, shared: string[]): string[] {
  const leaks: string[] = [];
  for (const h of safeReaddir(CGROUP_ROOT)) {
    const top = path.join(CGROUP_ROOT, h, name);
    if (!exists(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      dirs.push(d);
      for (const n of safeReaddir(d)) {
        const p = path.join(d, n);
        try {
          if (fs.lstatSync(p).isDirectory()) walk(p);
        } catch {
          // raced
        }
      }
    };
    walk(top);
    // cgroup dirs the clients made: the top one is expected to be left (nobody removes a parent);
    // deeper ones are per-container and a leak when still there.
    for (const d of dirs.slice(1)) if (!shared.includes(path.basename(d))) leaks.push(`cgroup ${d}`);
    for (const d of dirs.reverse()) {
      try {
        fs.rmdirSync(d);
      } catch (e) {
        leaks.push(`cgroup ${d} cannot be removed: ${(e as Error).message}`);
      }
    }
  }
  return leaks;
}

function canConnect(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function stop(child: ChildProcess, graceMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
  clearTimeout(timer); // a pending timer would keep the test process alive
  if (!ok) {
    child.kill('SIGKILL');
    await exited;
  }
  return ok;
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
