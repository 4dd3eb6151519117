// The parent's side of the trampoline (src/launcher/nsexec.c, docs/ARCHITECTURE.md section 1): for
// a config with a user namespace, or a joined time namespace, the stage is spawned through
// dist/tsrun-nsexec instead of the namespace window. It joins and creates the namespaces in the
// kernel's order (user first, so it owns the rest), asks us to write the id maps, and execs node.
// When a PID or time namespace is involved it clones the stage as our child (CLONE_PARENT) and
// tells us its pid, because only children enter those.
//
// Why a C program and not util-linux unshare(1)/nsenter(1): the maps must be written *between*
// unshare(CLONE_NEWUSER) and the unshare of the others, by us (only a holder of CAP_SETUID in the
// parent namespace can map ranges other than its own id), while the stage waits; unshare(1) maps
// only through newuidmap or its own --map-* options, which have no "wait for the parent" step, so
// that would take two execs (unshare, then a waiter, then nsenter/unshare again) plus a Node
// stage. The trampoline is one static exec of ~0.5 ms, and only these configs pay for it.
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type * as ChildProcessModule from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import type { Socket } from 'node:net';
import { StageError, RuntimeError, errnoName } from '../../errors';
import { NAMESPACE_TABLE } from '../../linux/namespace-table';
import { writeIdMaps } from '../../linux/id-maps';
import { adoptChild } from './adopted-child';
import { log } from '../../log';
import type { NsRequest, TimeOffsets } from '../../stage-config/namespaces';

/** How long the trampoline may take (it does a few syscalls; this only bounds a hang). */
const TIMEOUT_MS = 60_000;

export function trampolinePath(): string {
  // This code runs from dist/verbs/<verb>.js; the trampoline is dist/tsrun-nsexec.
  return path.join(__dirname, '..', 'tsrun-nsexec');
}

/**
 * The trampoline's options for `requests` (nsexec.c's usage). `fork`: a PID namespace (made or
 * joined) and a new time namespace are entered only by children of the process that unshares or
 * joins them (setns(2) of a time namespace moves the caller as well).
 */
export function trampolineArgs(requests: NsRequest[], timeOffsets?: TimeOffsets): { args: string[]; fork: boolean } {
  const args: string[] = [];
  let flags = 0;
  for (const r of requests) {
    const { flag, proc } = NAMESPACE_TABLE[r.type];
    if (r.path) args.push('-j', proc, r.path);
    else if (r.type === 'user') args.push('-U');
    else flags |= flag;
  }
  if (flags) args.push('-n', String(flags));
  const newTime = requests.some((r) => r.type === 'time' && !r.path);
  if (newTime && timeOffsets) {
    // One line per write: the kernel parses one clock per write(2) (time_namespaces(7)).
    if (timeOffsets.monotonic) args.push('-o', `monotonic ${timeOffsets.monotonic.secs} ${timeOffsets.monotonic.nanosecs}`);
    if (timeOffsets.boottime) args.push('-o', `boottime ${timeOffsets.boottime.secs} ${timeOffsets.boottime.nanosecs}`);
  }
  // setns(2) of a time namespace moves the caller too, unshare(2) only its future children.
  const fork = requests.some((r) => r.type === 'pid' || (r.type === 'time' && !r.path));
  if (fork) args.push('-f');
  return { args, fork };
}

export interface TrampolineSpawn {
  requests: NsRequest[];
  timeOffsets?: TimeOffsets;
  /** What the trampoline execs: node and its arguments. */
  program: string[];
  /** The stage's stdio; the trampoline's control socket is added after it. */
  stdio: StdioOptions;
  detached: boolean;
  /** The error for a failure of the trampoline ("container init (namespaces): ..."). */
  failure: (message: string) => RuntimeError;
  /**
   * Have the trampoline bind node read-only in a mount namespace of its own once it is in the
   * user namespace (nsexec.c -m): a rootless `exec`, which cannot do it before the spawn.
   */
  protectBinary?: boolean;
  /** Called with each process that may need killing on a failure (the trampoline, then the stage). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Lines from the control socket, one at a time; undefined at EOF. */
export function lineReader(sock: Socket): () => Promise<string | undefined> {
  let buf = '';
  const lines: string[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    notify();
  });
  for (const ev of ['end', 'close', 'error']) sock.on(ev, () => { ended = true; notify(); });
  const deadline = Date.now() + TIMEOUT_MS;
  return async () => {
    for (;;) {
      if (lines.length) return lines.shift();
      if (ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new RuntimeError('namespace', `the namespace trampoline did not finish within ${TIMEOUT_MS / 1000}s`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  };
}

function waitExit(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    c.once('exit', () => resolve());
    setTimeout(resolve, 5000).unref();
  });
}

export interface StartedTrampoline {
  /** The trampoline process (it becomes the stage when it execs node itself). */
  child: ChildProcess;
  /** Runs its protocol to the end and returns the stage; on a failure everything is killed. */
  finish: () => Promise<ChildProcess>;
}

/** Spawns the trampoline and runs its protocol to the end: spawnTrampoline + finish. */
export function spawnThroughTrampoline(o: TrampolineSpawn): Promise<ChildProcess> {
  return startTrampoline(o).finish();
}

/**
 * Spawns the trampoline, synchronously (so it can be done inside a namespace window). `finish`
 * runs its protocol to the end (EOF on the control socket: it and the stage it cloned have
 * exec'd or died) and returns the stage: the trampoline itself once it has exec'd node, or the
 * child it cloned. On a failure every process it made is killed and reaped.
 */
export function startTrampoline(o: TrampolineSpawn): StartedTrampoline {
  const bin = trampolinePath();
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    throw new RuntimeError('namespace', `${bin} is missing: it is built by \`npm run build\` (needs gcc) and is required for user namespaces`);
  }
  const stdio = [...(o.stdio as unknown[])] as StdioOptions & unknown[];
  const ctlFd = stdio.length;
  stdio.push('pipe');
  const { args } = trampolineArgs(o.requests, o.timeOffsets);
  if (o.protectBinary) args.unshift('-m');
  const started = process.hrtime.bigint();
  // Required here: only configs with a user namespace (or a joined time one) load child_process.
  const { spawn } = require('node:child_process') as typeof ChildProcessModule;
  const t = spawn(bin, [String(ctlFd), ...args, '--', ...o.program], { stdio, env: {}, detached: o.detached });
  const ctl = t.stdio[ctlFd] as Socket | null;
  if (!ctl || t.pid === undefined) throw new RuntimeError('spawn', `cannot start ${bin}`);
  o.onSpawn?.(t);
  return { child: t, finish: () => finish(o, t, ctl, started) };
}

async function finish(o: TrampolineSpawn, t: ChildProcess, ctl: Socket, started: bigint): Promise<ChildProcess> {
  const tPid = t.pid as number;
  const user = o.requests.find((r) => r.type === 'user' && !r.path);
  let stage: ChildProcess | undefined;
  const next = lineReader(ctl);
  try {
    for (let line = await next(); line !== undefined; line = await next()) {
      if (line === 'U' && user) {
        writeIdMaps(tPid, user.uidMappings ?? [], user.gidMappings ?? []);
        ctl.write('M\n');
      } else if (line.startsWith('P ')) {
        stage = adoptChild(Number(line.slice(2)), t.stdio);
        o.onSpawn?.(stage);
      } else if (line.startsWith('E ')) {
        const [, call, errno, ...what] = line.split(' ');
        throw o.failure(`${call}(${what.join(' ')}): ${errnoName(Number(errno))}`);
      } else {
        throw new StageError('protocol', `unexpected line from the namespace trampoline: ${line}`);
      }
    }
    ctl.destroy();
    // The cost of the trampoline, for bench/ and docs/ARCHITECTURE.md: spawn to the stage's execve.
    log.debug(`namespace trampoline: ${Number(process.hrtime.bigint() - started) / 1e6} ms from spawn to the stage's execve`);
    if (stage) return stage;
    // No child: the trampoline has exec'd node itself, or died without a word.
    if (t.exitCode !== null || t.signalCode !== null) throw o.failure(`the trampoline exited (${t.exitCode ?? t.signalCode})`);
    return t;
  } catch (e) {
    ctl.destroy();
    for (const c of [t, stage]) {
      if (!c) continue;
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
      await waitExit(c);
    }
    throw e;
  }
}
