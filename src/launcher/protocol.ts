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
import type { InitConfig } from './init-config';

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

export type InitToParent = HelloMsg | ReadyMsg | WarnMsg | DebugMsg | ErrorMsg | HooksMsg;
export type ParentToInit = BootstrapMsg | GoMsg | HooksDoneMsg;
export type Message = InitToParent | ParentToInit;

export function encode(msg: Message): string {
  return JSON.stringify(msg) + '\n';
}

/** Splits a byte stream into messages; keeps the partial tail between calls. */
export class Decoder {
  private tail = '';
  push(chunk: string): Message[] {
    this.tail += chunk;
    const out: Message[] = [];
    let nl: number;
    while ((nl = this.tail.indexOf('\n')) >= 0) {
      const line = this.tail.slice(0, nl);
      this.tail = this.tail.slice(nl + 1);
      if (line.trim() === '') continue;
      let msg: Message;
      try {
        msg = JSON.parse(line) as Message;
      } catch {
        throw new RuntimeError('protocol', `malformed message (not JSON): ${line.slice(0, 200)}`);
      }
      if (typeof msg !== 'object' || msg === null || typeof (msg as { type?: unknown }).type !== 'string') {
        throw new RuntimeError('protocol', `malformed message: ${line.slice(0, 200)}`);
      }
      out.push(msg);
    }
    return out;
  }
  get pending(): string {
    return this.tail;
  }
}
