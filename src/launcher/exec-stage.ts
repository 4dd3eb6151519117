// `tsrun exec`'s half of the exec protocol (exec-config.ts): spawn the exec stage, put it in the
// container's cgroup when it says hello, hand it the config, and learn the pid of the process it
// spawned. The stage is spawned from a private mount namespace in which the node binary is
// read-only (protect-binary.ts): the process it spawns carries the stage's executable until its
// own execve, so a "#!/proc/self/exe" program in the container reaches only a read-only node
// (CVE-2019-5736). The stage itself never enters the container's PID namespace.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import type { Socket } from 'node:net';
import * as libc from '../sys/libc';
import { CLOSE_RANGE_CLOEXEC } from '../sys/constants';
import { InitStageError, RuntimeError } from '../errors';
import { withNamespaces } from './ns-window';
import { protectRuntimeBinary } from './protect-binary';
import { Decoder, encode, type Message } from './protocol';
import type { ExecConfig, StageToExec } from './exec-config';

/** How long the stage may take to boot or to answer (loading Node, joining, spawning). */
const STEP_TIMEOUT_MS = 60_000;

export interface ExecStageOptions {
  config: ExecConfig;
  /** fds of tsrun exec handed to the stage as 3 .. 3+n-1 (--preserve-fds, then the console socket). */
  extraFds: number[];
  /** With --pid-file etc: called with the stage's pid after `hello` (cgroup apply). */
  onHello: (stagePid: number) => void;
  onWarning: (msg: string) => void;
  onSpawn?: (stage: ChildProcess) => void;
}

export interface ExecStageResult {
  pid: number;
  /** Resolves when the stage has exited: from then on the process is reparented. */
  stageExited: Promise<void>;
}

function stageEntry(): string {
  return path.join(__dirname, '..', 'exec.js');
}

class Inbox {
  private readonly decoder = new Decoder();
  private readonly queue: StageToExec[] = [];
  private waiter?: () => void;
  private closed = false;
  constructor(channel: Socket) {
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      try {
        this.queue.push(...(this.decoder.push(chunk) as unknown as StageToExec[]));
      } catch (e) {
        this.queue.push({ type: 'error', step: 'protocol', message: (e as Error).message });
      }
      this.wake();
    });
    for (const ev of ['end', 'close', 'error']) {
      channel.on(ev, () => {
        this.closed = true;
        this.wake();
      });
    }
  }
  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  async next(onWarning: (m: string) => void, exitInfo: () => string): Promise<StageToExec> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const msg = this.queue.shift();
      if (msg?.type === 'warn') {
        onWarning(msg.message);
        continue;
      }
      if (msg) return msg;
      if (this.closed) throw new InitStageError('exec', `exec stage exited before it was done (${exitInfo()})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new InitStageError('exec', `exec stage did not answer within ${STEP_TIMEOUT_MS / 1000}s`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  }
}

async function expect<T extends StageToExec['type']>(inbox: Inbox, type: T, o: ExecStageOptions, exitInfo: () => string): Promise<Extract<StageToExec, { type: T }>> {
  const msg = await inbox.next(o.onWarning, exitInfo);
  if (msg.type === 'error') {
    // runc's words (clients match on what follows: "executable file not found", "permission denied").
    throw new InitStageError(msg.step, `unable to start container process: ${msg.message}`, { code: msg.code, syscall: msg.syscall, errno: msg.errno, path: msg.path });
  }
  if (msg.type !== type) throw new InitStageError('protocol', `expected ${type} from the exec stage, got ${msg.type}`);
  return msg as Extract<StageToExec, { type: T }>;
}

export async function runExecStage(o: ExecStageOptions): Promise<ExecStageResult> {
  const channelFd = 3 + o.extraFds.length;
  // 0-2 are the process's stdio when it has no terminal (runc passes its own through).
  const stdio: StdioOptions = ['inherit', 'inherit', 'inherit', ...o.extraFds, 'pipe'];
  // Nothing our caller left open without FD_CLOEXEC reaches the stage (CVE-2024-21626); the
  // listed fds still do, because libuv dup2()s each stdio entry into place.
  libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  const stage = withNamespaces([{ type: 'mount' }], undefined, () => {
    protectRuntimeBinary();
    // env {}: the stage never inherits the caller's environment (nor pays for NODE_EXTRA_CA_CERTS).
    return spawn(process.execPath, [stageEntry(), String(channelFd)], { stdio, env: {} });
  });
  o.onSpawn?.(stage);
  let exit: string | undefined;
  const stageExited = new Promise<void>((resolve) => {
    stage.on('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exit status ${code}`;
      resolve();
    });
  });
  const channel = stage.stdio[channelFd] as Socket | null;
  if (!channel || stage.pid === undefined) {
    const err = await new Promise<Error | undefined>((resolve) => {
      stage.once('error', resolve);
      setTimeout(() => resolve(undefined), 100).unref();
    });
    throw new RuntimeError('spawn', `cannot start the exec stage: ${err?.message ?? 'unknown error'}`);
  }
  const inbox = new Inbox(channel);
  const exitInfo = (): string => exit ?? 'no status yet';
  try {
    await expect(inbox, 'hello', o, exitInfo);
    o.onHello(stage.pid);
    channel.write(encode({ type: 'exec', config: o.config } as unknown as Message));
    const { pid } = await expect(inbox, 'spawned', o, exitInfo);
    channel.destroy();
    return { pid, stageExited };
  } catch (e) {
    try {
      stage.kill('SIGKILL');
    } catch {
      // already gone
    }
    channel.destroy();
    await Promise.race([stageExited, new Promise((r) => setTimeout(r, 5000).unref())]);
    // A stage that cannot die (frozen with the container's cgroup: exec --ignore-paused) must not
    // keep tsrun exec's event loop alive; it dies once the cgroup thaws.
    stage.unref();
    throw e;
  }
}
