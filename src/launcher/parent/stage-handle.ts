// The parent's end of a stage's channel (the init stage, the exec stage): NDJSON messages in,
// warnings handed on, `error{step}` turned into StageError, a bounded wait per step, and the
// kill/release of the stage process. protocol.ts and exec-config.ts define the messages.
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { StageError } from '../../errors';
import { log } from '../../log';
import { Decoder, encode, isOneOf, type Accepts, type ErrorMsg, type Msg, type StageReport } from '../protocol';

/** How long a stage may take to answer one step (loading Node, mounting). */
const STEP_TIMEOUT_MS = 60_000;

/** The messages a stage may send at any time; the decoder has checked their fields. */
function isReport(m: Msg): m is StageReport {
  return m.type === 'warn' || m.type === 'debug' || m.type === 'error';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** How a stage names itself in errors: "container init", "exec stage". */
export interface StageWords {
  who: string;
  /** The text of an error{step} message the stage sent (the parent's error line). */
  failure: (e: ErrorMsg) => string;
}

/**
 * `In`: the stage's answers that `expect` returns (its StageReport messages are handled here);
 * `Out`: what the parent sends; `accepts`: the checks of both kinds of incoming message
 * (protocol.ts INIT_TO_PARENT, exec-config.ts STAGE_TO_EXEC).
 */
export class StageHandle<In extends Msg, Out extends Msg> {
  private readonly decoder: Decoder<In | StageReport>;
  private readonly inbox: (In | StageReport)[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess, private readonly channel: Socket, private readonly words: StageWords, accepts: Accepts<In | StageReport>) {
    this.decoder = new Decoder(accepts);
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      try {
        this.inbox.push(...this.decoder.push(chunk));
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

  send(msg: Out): void {
    this.channel.write(encode(msg));
  }

  /**
   * Next answer; warnings are handed to `onWarning`, debug lines to the log, and skipped; an
   * `error` message is thrown as StageError.
   */
  private async next(onWarning: (m: string) => void): Promise<In> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const msg = this.inbox.shift();
      if (msg) {
        if (!isReport(msg)) return msg;
        if (msg.type === 'warn') onWarning(msg.message);
        else if (msg.type === 'debug') log.debug(msg.message);
        else throw this.failure(msg);
        continue;
      }
      if (this.ended) {
        await Promise.race([this.exited, sleep(2000)]);
        const how = this.exit ? (this.exit.signal ? `killed by ${this.exit.signal}` : `exit status ${this.exit.code}`) : 'no status';
        throw new StageError('init', `${this.words.who} exited before it was ready (${how})`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new StageError('init', `${this.words.who} did not answer within ${STEP_TIMEOUT_MS / 1000}s`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  }

  /** The next message, which must be (one of) `type`; an `error` message is thrown as StageError. */
  async expect<T extends In['type']>(type: T | T[], onWarning: (m: string) => void): Promise<Extract<In, { type: T }>> {
    const msg = await this.next(onWarning);
    const wanted = Array.isArray(type) ? type : [type];
    if (!isOneOf(msg, wanted)) throw new StageError('protocol', `expected ${wanted.join(' or ')} from the ${this.words.who}, got ${msg.type}`);
    return msg;
  }

  private failure(e: ErrorMsg): StageError {
    return new StageError(e.step, this.words.failure(e), { code: e.code, syscall: e.syscall, errno: e.errno, path: e.path });
  }

  /** Closes our end; after `go` the init stage has nothing more to say. */
  release(): void {
    // end() flushes what is queued (the `go`) before closing; destroy() would drop it.
    this.channel.end();
    this.channel.unref();
    this.child.unref();
  }

  /** Drops the channel but keeps the stage referenced (its exit is still awaited). */
  closeChannel(): void {
    this.channel.destroy();
  }

  /** Kills the stage and waits for it (failure path). */
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
