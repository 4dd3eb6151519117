// The parent's half of the launch: spawn the init stage inside the container's namespaces
// (ns-window.ts), then drive the protocol (protocol.ts) up to `ready`. The caller persists state
// and sends `go` (docs/ARCHITECTURE.md section 3: state is on disk before `go`, so a crash of
// the parent after that still leaves `delete` enough to clean up).
import type { ChildProcess } from 'node:child_process';
import path = require('node:path');
import * as libc from '../../sys/libc';
import { libcSys } from '../../sys/libc-sys';
import { CLOSE_RANGE_CLOEXEC, O } from '../../sys/constants';
import { protectRuntimeBinary } from '../protect-binary';
import { checkPreservedFds } from './preserved-fds';
import type { Socket } from 'node:net';
import { StageError, RuntimeError } from '../../errors';
import { StageHandle } from './stage-handle';
import { needsTrampoline, withNamespaces } from './ns-window';
import type { NsRequest, TimeOffsets } from '../../stage-config/namespaces';
import { spawnThroughTrampoline } from './trampoline';
import { makeIdmapTrees } from './idmap-trees';
import { INIT_TO_PARENT, type InitAnswer, type ParentToInit } from '../protocol';
import type { InitConfig } from '../../stage-config/init-config';
import { stageTraceEnv } from '../../trace';
import { spawnKey, type EarlyInit, type SpawnShape } from './early-plan';
import { reached, stageHookEnv } from '../../step-hook';
import { spawnStage, type StageStdio } from './spawn-stage';

export interface LaunchOptions {
  init: InitConfig;
  nsRequests: NsRequest[];
  timeOffsets?: TimeOffsets;
  /**
   * Spawn through the trampoline even without a user or joined time namespace: a caller that is
   * not root of the initial user namespace (rootless) can unshare there but not setns back.
   */
  viaTrampoline?: boolean;
  /** Called right after the spawn, so a signal handler can kill the child even before `hello`. */
  onSpawn?: (child: ChildProcess) => void;
  /**
   * Called with the init stage's host pid right after the spawn, while the stage boots Node:
   * work that can overlap the boot (create.ts: the cgroup mkdirs and the first join). Throwing
   * fails the launch (the stage is killed).
   */
  onBoot?: (pid: number) => void;
  /** Called with the init stage's host pid after `hello`: the rest of the cgroup join, limits, oom_score_adj. */
  onHello: (pid: number) => void;
  onWarning: (msg: string) => void;
  /**
   * Runs the runtime-namespace hook phases the init stage asks for (prestart, createRuntime),
   * synchronously; throwing fails the launch (the init stage is killed, never answered).
   */
  onHooks?: (phases: string[]) => void;
  /**
   * With process.terminal: a connected unix socket (the --console-socket client's, or one end of a
   * socketpair) the init stage sends the pty master on. The caller keeps and closes its own fd.
   */
  consoleSocket?: number;
  /** An init stage the dispatcher spawned before the verb bundle loaded (early-stage.ts). */
  early?: EarlyInit;
  /**
   * The container's fds 0-2 when not a terminal, as child_process stdio entries (fds, 'pipe',
   * 'ignore'); default: ours ('inherit'). The shim passes containerd's stdio fifos here.
   */
  stdio?: StdioEntry[];
}

export type StdioEntry = StageStdio;

/** The init stage's channel (create): its messages, its words in errors. */
export class InitHandle extends StageHandle<InitAnswer, ParentToInit> {
  constructor(child: ChildProcess, channel: Socket) {
    super(child, channel, { who: 'container init', failure: (e) => `container init (${e.step}): ${e.message}` }, INIT_TO_PARENT);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** The init stage's entry file: this code runs from dist/verbs/<verb>.js, init is dist/init.js. */
function initEntry(): string {
  return path.join(__dirname, '..', 'init.js');
}

/** How the init stage is spawned: its SpawnShape, the console socket's fd, its entry file. */
export interface InitSpawn extends SpawnShape {
  /** With a terminal: the connected socket the stage sends the pty master on (our fd). */
  consoleSocket?: number;
  entry: string;
  /** The container's fds 0-2 when not a terminal (LaunchOptions.stdio); default: ours. */
  stdio?: StdioEntry[];
}

/**
 * The init stage's fds: 0-2 are the container's stdio: ours in non-terminal mode (runc passes its
 * own through); with a terminal the pty replaces them (final-exec.ts), so the init stage gets
 * /dev/null and `tsrun create` does not keep its caller's pipes open for the container's lifetime.
 * The next N are --preserve-fds; the channel and then the console socket come after them, so
 * preserved fds keep their numbers.
 */
function initStdio(s: InitSpawn): StageStdio[] {
  const stdio: StageStdio[] = s.terminal ? ['ignore', 'ignore', 'ignore'] : [...(s.stdio ?? ['inherit', 'inherit', 'inherit'])];
  for (let i = 0; i < s.preserveFds; i++) stdio.push(3 + i);
  stdio.push('pipe');
  if (s.terminal) stdio.push(s.consoleSocket as number);
  return stdio;
}

/**
 * Spawns the init stage inside the container's namespaces and returns it (its channel is
 * `child.stdio[3 + preserveFds]`). launchInit calls it, and so does the dispatcher when it spawns
 * the stage ahead of the verb bundle (early-stage.ts), so both get the same stage.
 */
export function spawnInitStage(s: InitSpawn): ChildProcess {
  const n = s.preserveFds;
  const stdio = initStdio(s);
  // Whatever our caller left open without FD_CLOEXEC must not reach the init stage: an inherited
  // directory fd is a way out of the container through /proc/self/fd (CVE-2024-21626). The
  // preserved fds still get through: libuv dup2()s each stdio entry into place, which clears the
  // flag on the child's copy.
  libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  const newMountNs = s.nsRequests.some((r) => r.type === 'mount' && !r.path);
  return withNamespaces(libcSys, s.nsRequests, s.timeOffsets, () => {
    // The init stage runs the host's node binary, and the container's process starts life as it:
    // make it read-only in the container's mount namespace first (CVE-2019-5736). Without a new
    // one there is no mount table of the container's own to do it in; a container without a mount
    // namespace has no /proc to reach /proc/self/exe through (it gets no mounts), and README
    // "Without a mount namespace" says what is left.
    if (newMountNs) protectRuntimeBinary(libcSys);
    return spawnStage({
      argv: [process.execPath, s.entry, String(3 + n)],
      stdio,
      // The init stage never inherits the caller's environment (and so never pays for
      // NODE_EXTRA_CA_CERTS); the user program gets process.env from config.json. Only the
      // trace switch and the test-only step hook's variables are passed on, when set (trace.ts,
      // step-hook.ts).
      env: { ...stageTraceEnv(), ...stageHookEnv() },
      // setsid(2): the container gets a session of its own, as runc's init does.
      setsid: true,
      who: 'the init stage',
    });
  });
}

/**
 * Spawns the init stage (or adopts the one the dispatcher spawned ahead, `opts.early`, when it has
 * the same SpawnShape) and runs the protocol to `ready`. On any failure the init stage is
 * killed before the error is rethrown; the caller undoes what it made (cgroup, state dir).
 */
export async function launchInit(opts: LaunchOptions): Promise<InitHandle> {
  const n = opts.init.preserveFds;
  checkPreservedFds(n);
  const channelFd = 3 + n;
  const terminal = opts.init.process?.terminal ?? false;
  if (terminal && opts.consoleSocket === undefined) throw new RuntimeError('console', 'process.terminal needs a console socket');
  let init = opts.init;
  if (terminal) init = { ...init, consoleSocketFd: channelFd + 1 };
  const shape: SpawnShape = { nsRequests: opts.nsRequests, timeOffsets: opts.timeOffsets, preserveFds: n, terminal };
  let child: ChildProcess;
  if (opts.viaTrampoline || needsTrampoline(opts.nsRequests)) {
    // A user namespace (or a joined time namespace) needs a single-threaded caller: the trampoline
    // does the namespace work instead of the window (trampoline.ts). It makes the mount namespace
    // too, so the init stage protects the binary itself, as its first step (init-steps.ts). The
    // early path never spawns this shape (early-plan.ts); should a stage be waiting, it goes.
    opts.early?.take('');
    // Id-mapped binds: their trees are made here, on the host, before the spawn, and passed on
    // as fds like the fifo below (idmap-trees.ts says why). Only a user namespace config has them
    // (checks.ts idmapped-mounts), so only this path.
    const trees = await makeIdmapTrees(init.mounts);
    const stdio = initStdio({ ...shape, consoleSocket: opts.consoleSocket, entry: initEntry(), stdio: opts.stdio });
    libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
    const newMountNs = opts.nsRequests.some((r) => r.type === 'mount' && !r.path);
    // The init stage runs as the mapped id, which may not search the state dir: it gets the
    // exec fifo as an O_PATH fd of ours (runc passes its fifo the same way).
    let fifoFd = -1;
    try {
      fifoFd = libc.open(init.fifoPath, O.PATH | O.CLOEXEC);
      stdio.push(fifoFd);
      init = { ...init, protectBinary: newMountNs, fifoFd: stdio.length - 1 };
      const mounts = init.mounts.map((m, i) => {
        const tree = trees.byMount.get(i);
        if (tree === undefined) return m;
        stdio.push(tree);
        return { ...m, treeFd: stdio.length - 1 };
      });
      init = { ...init, mounts };
      child = await spawnThroughTrampoline({
        requests: opts.nsRequests, timeOffsets: opts.timeOffsets, program: [process.execPath, initEntry(), String(channelFd)],
        stdio, detached: true, onSpawn: opts.onSpawn,
        failure: (m) => new StageError('namespaces', `container init (namespaces): ${m}`),
      });
    } finally {
      if (fifoFd >= 0) libc.close(fifoFd);
      trees.close();
    }
  } else {
    // checks.ts refuses id-mapped mounts without a user namespace, which always takes the path above.
    if (init.mounts.some((m) => m.idmap)) throw new RuntimeError('mount', 'id-mapped mounts need a user namespace');
    // An early stage of another shape is killed by take() (it would be the wrong stage).
    // Only the CLI spawns early, and always with its own stdio.
    const early = opts.stdio === undefined ? opts.early?.take(spawnKey(shape)) : undefined;
    child = early ?? spawnInitStage({ ...shape, consoleSocket: opts.consoleSocket, entry: initEntry(), stdio: opts.stdio });
  }
  opts.onSpawn?.(child);
  reached('spawn');
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const channel = child.stdio[channelFd] as Socket | null;
  if (!channel || child.pid === undefined) {
    const err = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
    throw new RuntimeError('spawn', `cannot start the init stage: ${err?.message ?? 'unknown error'}`);
  }
  const h = new InitHandle(child, channel);
  try {
    opts.onBoot?.(h.pid);
    await h.expect('hello', opts.onWarning);
    reached('hello');
    opts.onHello(h.pid);
    h.send({ type: 'bootstrap', config: init });
    reached('bootstrap');
    const next = await h.expect(['ready', 'hooks'], opts.onWarning);
    if (next.type === 'hooks') {
      // The init stage has made the mounts and waits before pivot_root (protocol.ts).
      if (!opts.onHooks) throw new StageError('protocol', 'init asked for hooks nobody configured');
      reached('hooks');
      opts.onHooks(next.phases);
      h.send({ type: 'hooks-done' });
      await h.expect('ready', opts.onWarning);
    }
    reached('ready');
    return h;
  } catch (e) {
    await h.kill();
    throw e;
  }
}
