// The parent's half of the launch: spawn the init stage inside the container's namespaces
// (ns-window.ts), then drive the protocol (protocol.ts) up to `ready`. The caller persists state
// and sends `go` (ARCHITECTURE-NOTES.md section 3: state is on disk before `go`, so a crash of
// the parent after that still leaves `delete` enough to clean up).
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import * as libc from '../sys/libc';
import { CLOSE_RANGE_CLOEXEC } from '../sys/constants';
import { protectRuntimeBinary } from './protect-binary';
import { checkPreservedFds } from './preserved-fds';
import type { Socket } from 'node:net';
import { InitStageError, RuntimeError } from '../errors';
import { withNamespaces, type NsRequest, type TimeOffsets } from './ns-window';
import { Decoder, encode, type InitToParent, type ParentToInit } from './protocol';
import type { InitConfig } from './init-config';

/** How long the init stage may take to answer one step (loading Node, mounting). */
const STEP_TIMEOUT_MS = 60_000;

export interface LaunchOptions {
  init: InitConfig;
  nsRequests: NsRequest[];
  timeOffsets?: TimeOffsets;
  /** Called right after the spawn, so a signal handler can kill the child even before `hello`. */
  onSpawn?: (child: ChildProcess) => void;
  /** Called with the init stage's host pid after `hello`: join the cgroup, oom_score_adj. */
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
}

export class InitHandle {
  private readonly decoder = new Decoder();
  private readonly inbox: InitToParent[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess, private readonly channel: Socket) {
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      try {
        this.inbox.push(...(this.decoder.push(chunk) as InitToParent[]));
      } catch (e) {
        this.inbox.push({ type: 'error', step: 'protocol', message: (e as Error).message });
      }
      this.wake();
    });
    channel.on('end', () => this.end());
    channel.on('close', () => this.end());
    channel.on('error', () => this.end());
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
        this.wake();
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  private end(): void {
    this.ended = true;
    this.wake();
  }
  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  send(msg: ParentToInit): void {
    this.channel.write(encode(msg));
  }

  /** Next message; warnings are handed to `onWarning` and skipped. */
  async next(onWarning: (m: string) => void): Promise<InitToParent> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const msg = this.inbox.shift();
      if (msg) {
        if (msg.type === 'warn') {
          onWarning(msg.message);
          continue;
        }
        return msg;
      }
      if (this.ended) {
        await Promise.race([this.exited, sleep(2000)]);
        const how = this.exit ? (this.exit.signal ? `killed by ${this.exit.signal}` : `exit status ${this.exit.code}`) : 'no status';
        throw new InitStageError('init', `container init exited before it was ready (${how})`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new InitStageError('init', `container init did not answer within ${STEP_TIMEOUT_MS / 1000}s`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  }

  /** The next message, which must be (one of) `type`; an `error` message is thrown as InitStageError. */
  async expect<T extends InitToParent['type']>(type: T | T[], onWarning: (m: string) => void): Promise<Extract<InitToParent, { type: T }>> {
    const msg = await this.next(onWarning);
    if (msg.type === 'error') {
      throw new InitStageError(msg.step, `container init (${msg.step}): ${msg.message}`, { code: msg.code, syscall: msg.syscall, errno: msg.errno, path: msg.path });
    }
    const wanted: string[] = Array.isArray(type) ? type : [type];
    if (!wanted.includes(msg.type)) throw new InitStageError('protocol', `expected ${wanted.join(' or ')} from init, got ${msg.type}`);
    return msg as Extract<InitToParent, { type: T }>;
  }

  /** Closes our end; after `go` the init stage has nothing more to say. */
  release(): void {
    // end() flushes what is queued (the `go`) before closing; destroy() would drop it.
    this.channel.end();
    this.channel.unref();
    this.child.unref();
  }

  /** Kills the init stage and waits for it (failure path). */
  async kill(): Promise<void> {
    if (!this.exit) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
      await Promise.race([this.exited, sleep(5000)]);
    }
    this.channel.destroy();
  }

  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited.then(() => this.exit as { code: number | null; signal: NodeJS.Signals | null });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** The init stage's entry file: this code runs from dist/verbs/<verb>.js, init is dist/init.js. */
export function initEntry(): string {
  return path.join(__dirname, '..', 'init.js');
}

/**
 * Spawns the init stage and runs the protocol to `ready`. On any failure the init stage is
 * killed before the error is rethrown; the caller undoes what it made (cgroup, state dir).
 */
export async function launchInit(opts: LaunchOptions): Promise<InitHandle> {
  const n = opts.init.preserveFds;
  checkPreservedFds(n);
  const channelFd = 3 + n;
  const terminal = opts.init.process?.terminal ?? false;
  if (terminal && opts.consoleSocket === undefined) throw new RuntimeError('console', 'process.terminal needs a console socket');
  // fds 0-2 are the container's stdio: ours in non-terminal mode (runc passes its own through);
  // with a terminal the pty replaces them (final-exec.ts), so the init stage gets /dev/null and
  // `tsrun create` does not keep its caller's pipes open for the container's lifetime. The next
  // N are --preserve-fds; the channel and then the console socket come after them, so preserved
  // fds keep their numbers.
  const stdio: StdioOptions = terminal ? ['ignore', 'ignore', 'ignore'] : ['inherit', 'inherit', 'inherit'];
  for (let i = 0; i < n; i++) stdio.push(3 + i);
  stdio.push('pipe');
  let init = opts.init;
  if (terminal) {
    stdio.push(opts.consoleSocket as number);
    init = { ...init, consoleSocketFd: channelFd + 1 };
  }
  // Whatever our caller left open without FD_CLOEXEC must not reach the init stage: an inherited
  // directory fd is a way out of the container through /proc/self/fd (CVE-2024-21626). The
  // preserved fds still get through: libuv dup2()s each stdio entry into place, which clears the
  // flag on the child's copy.
  libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  const newMountNs = opts.nsRequests.some((r) => r.type === 'mount' && !r.path);
  const child = withNamespaces(opts.nsRequests, opts.timeOffsets, () => {
    // The init stage runs the host's node binary, and the container's process starts life as it:
    // make it read-only in the container's mount namespace first (CVE-2019-5736).
    if (newMountNs) protectRuntimeBinary();
    return spawn(process.execPath, [initEntry(), String(channelFd)], {
      stdio,
      // The init stage never inherits the caller's environment (and so never pays for
      // NODE_EXTRA_CA_CERTS); the user program gets process.env from config.json.
      env: {},
      // setsid(2): the container gets a session of its own, as runc's init does.
      detached: true,
    });
  });
  opts.onSpawn?.(child);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const channel = child.stdio[channelFd] as Socket | null;
  if (!channel || child.pid === undefined) {
    const err = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
    throw new RuntimeError('spawn', `cannot start the init stage: ${err?.message ?? 'unknown error'}`);
  }
  const h = new InitHandle(child, channel);
  try {
    await h.expect('hello', opts.onWarning);
    opts.onHello(h.pid);
    h.send({ type: 'bootstrap', config: init });
    const next = await h.expect(['ready', 'hooks'], opts.onWarning);
    if (next.type === 'hooks') {
      // The init stage has made the mounts and waits before pivot_root (protocol.ts).
      if (!opts.onHooks) throw new InitStageError('protocol', 'init asked for hooks nobody configured');
      opts.onHooks(next.phases);
      h.send({ type: 'hooks-done' });
      await h.expect('ready', opts.onWarning);
    }
    return h;
  } catch (e) {
    await h.kill();
    throw e;
  }
}
