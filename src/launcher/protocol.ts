// The messages between `tsrun create` (the parent) and the init stage. One JSON object per line
// (JSON.stringify never emits a raw newline, so a newline is an unambiguous frame end).
// runc's libcontainer/sync.go is the model.
//
//  parent (create)                                   init stage (PID 1 in the new pidns)
//  ns window -> spawn -> restore    ───────────▶     boots, loads all code, non-dumpable
//  cgroup create, early join (during the boot)
//                                   ◀── hello
//  late join, limits, oom_score_adj (src/container/cgroup-join.ts)
//  bootstrap{config}                ───────────▶     cgroupns, propagation, mounts, devices
//                                   ◀── hooks{phases}  (only with prestart/createRuntime hooks)
//  run prestart, createRuntime
//  in the runtime ns (src/hooks)
//  hooks-done                       ───────────▶     createContainer hooks (src/hooks/in-container.ts),
//                                                    pivot_root, [terminal: pty from the container's
//                                                    devpts, /dev/console, master sent on the
//                                                    console socket fd], masked/ro paths, hostname,
//                                                    sysctl, identity, capabilities, NNP,
//                                                    resolve args[0] in the new root
//                                   ◀── ready        (or error{step, message, errno, ...})
//  persist state=created{pid,startTime}, pid file
//  go                               ───────────▶     close channel; block opening exec fifo
//  EOF -> exit 0                                     for write
//  (start verb) open fifo for read  ───────────▶     startContainer hooks, then on the fifo:
//  '0' -> running, poststart hooks  ◀── '0' | 'E<msg>\n'  '0' + signals, fds, execve; or
//  'E' -> start fails                                 'E<msg>' + exit (src/hooks/start-fifo.ts)
//
// A hook failing in the parent: it kills the init stage (no answer), and create fails.
// Before `ready`, an unexpected message, EOF or timeout is a failure on either side.
import { RuntimeError } from '../errors';
import type { InitConfig } from '../stage-config/init-config';

/** Every message is a JSON object with a `type`. */
export interface Msg { type: string }

export interface HelloMsg { type: 'hello' }
export interface ReadyMsg { type: 'ready' }
export interface WarnMsg { type: 'warn'; message: string }
/** A line the parent logs at debug level (shown with `--debug` only). */
export interface DebugMsg { type: 'debug'; message: string }
export interface ErrorMsg {
  type: 'error';
  step: string;
  message: string;
  code?: string;
  syscall?: string;
  errno?: number;
  path?: string;
}
export interface BootstrapMsg { type: 'bootstrap'; config: InitConfig }
export interface GoMsg { type: 'go' }
/** Run these runtime-namespace hook phases now (init stage: mounts done, before pivot_root). */
export interface HooksMsg { type: 'hooks'; phases: string[] }
export interface HooksDoneMsg { type: 'hooks-done' }

/** What any stage may send at any time (stage-handle.ts handles them): warnings, debug lines, its failure. */
export type StageReport = WarnMsg | DebugMsg | ErrorMsg;
/** The init stage's answers to the parent's steps. */
export type InitAnswer = HelloMsg | ReadyMsg | HooksMsg;
export type InitToParent = InitAnswer | StageReport;
export type ParentToInit = BootstrapMsg | GoMsg | HooksDoneMsg;

/**
 * One direction of a protocol: the message types its receiver accepts, each with a check of its
 * fields. The Decoder refuses any other type and any message whose fields fail the check, so
 * what it returns is one of the protocol's messages, with no cast at the receiving end.
 */
export type Accepts<M extends Msg> = { readonly [K in M['type']]: (m: Readonly<Record<string, unknown>>) => boolean };

const isString = (v: unknown): boolean => typeof v === 'string';
const optional = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || check(v);
/** A JSON object (not null, not an array): the shape of every config a message carries. */
export const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The checks of HelloMsg and the StageReport messages, shared by the init and exec stages' protocols. */
export const STAGE_REPORTS: Accepts<HelloMsg | StageReport> = {
  hello: () => true,
  warn: (m) => isString(m.message),
  debug: (m) => isString(m.message),
  error: (m) => isString(m.step) && isString(m.message) && optional(m.code, isString) && optional(m.syscall, isString)
    && optional(m.errno, Number.isInteger) && optional(m.path, isString),
};
/** What the parent (`tsrun create`) accepts from the init stage. */
export const INIT_TO_PARENT: Accepts<InitToParent> = {
  ...STAGE_REPORTS,
  ready: () => true,
  hooks: (m) => Array.isArray(m.phases) && m.phases.every(isString),
};
/** What the init stage accepts from the parent. */
export const PARENT_TO_INIT: Accepts<ParentToInit> = {
  bootstrap: (m) => isObject(m.config),
  go: () => true,
  'hooks-done': () => true,
};

export function encode<M extends Msg>(msg: M): string {
  return JSON.stringify(msg) + '\n';
}

/** Is `m` one of `types`? Narrows to those messages (for expect() on either end). */
export function isOneOf<M extends Msg, T extends M['type']>(m: M, types: readonly T[]): m is Extract<M, { type: T }> {
  return (types as readonly string[]).includes(m.type);
}

function accepted<M extends Msg>(accepts: Accepts<M>, v: unknown): v is M {
  if (!isObject(v)) return false;
  const fields = v as Readonly<Record<string, unknown>>;
  const checks: Readonly<Record<string, (m: Readonly<Record<string, unknown>>) => boolean>> = accepts;
  return typeof fields.type === 'string' && Object.prototype.hasOwnProperty.call(checks, fields.type) && checks[fields.type](fields);
}

/** Splits a byte stream into the messages of one protocol direction; keeps the partial tail between calls. */
export class Decoder<M extends Msg> {
  private tail = '';
  constructor(private readonly accepts: Accepts<M>) {}
  push(chunk: string): M[] {
    this.tail += chunk;
    const out: M[] = [];
    let nl: number;
    while ((nl = this.tail.indexOf('\n')) >= 0) {
      const line = this.tail.slice(0, nl);
      this.tail = this.tail.slice(nl + 1);
      if (line.trim() === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        throw new RuntimeError('protocol', `malformed message (not JSON): ${line.slice(0, 200)}`);
      }
      if (!accepted(this.accepts, msg)) throw new RuntimeError('protocol', `malformed message: ${line.slice(0, 200)}`);
      out.push(msg);
    }
    return out;
  }
  get pending(): string {
    return this.tail;
  }
}
