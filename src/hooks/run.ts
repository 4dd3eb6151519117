// Running one hook (config.md "POSIX-platform Hooks"): `path` executed with `args` as its argv
// (args[0] is argv0, execv(3) semantics), `env` exactly as given (never tsrun's environment), the
// container's state JSON on stdin (runtime.md "State"), and `timeout` seconds after which it is
// killed. Synchronous on purpose: the init stage must run hooks without the event loop (it runs
// createContainer and startContainer hooks itself), and the parent has nothing else to do while
// a hook runs. Which hooks run when is decided in phases.ts.
import type { SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import type * as ChildProcessTypes from 'node:child_process';
import path = require('node:path');
import * as libc from '../sys/libc';
import { CLOSE_RANGE_CLOEXEC } from '../sys/constants';
import { RuntimeError } from '../errors';
import type { Hook } from '../spec/types';

import type { HookPhase } from './names';

export type { HookPhase } from './names';

/** What a hook reads on stdin: runtime.md "State" (pid as seen from the hook's namespace). */
export interface HookState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

type ChildProcessModule = typeof ChildProcessTypes;
let childProcess: ChildProcessModule | undefined;

/**
 * node:child_process on first use instead of at the top of the bundle: it pulls in net, stream
 * and their dependencies, a good part of the init stage's module start-up, and a container
 * without createContainer or startContainer hooks never needs it. The init stage calls this
 * before pivot_root when it has hooks to run (docs/ARCHITECTURE.md section 1, "Load everything
 * before pivot_root"; builtins come from the node binary, but loading them there keeps that rule
 * simple to check).
 */
export function loadHookRunner(): ChildProcessModule {
  childProcess ??= require('node:child_process') as ChildProcessModule;
  return childProcess;
}

/** A hook that could not run, exited non-zero, was killed or ran over its timeout. */
export class HookError extends RuntimeError {
  constructor(
    readonly phase: HookPhase,
    readonly hookPath: string,
    readonly detail: string,
    readonly exitStatus?: number,
    readonly signal?: string,
    readonly timedOut = false,
  ) {
    super('hook', `${phase} hook ${hookPath}: ${detail}`);
  }
}

/** Bytes of stderr/stdout kept for the error message (the message must stay one readable line). */
const OUTPUT_KEPT = 2000;
/** A hook that prints more than this is killed (spawnSync's maxBuffer): nobody reads megabytes of it. */
const MAX_OUTPUT = 4 * 1024 * 1024;

/** `env` entries ("K=V") as the object spawn wants; an entry without "=" is an empty variable. */
export function envObject(env: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) out[e] = '';
    else out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

/** Last OUTPUT_KEPT characters, newlines folded so the CLI's error stays one line. */
export function tidyOutput(s: string): string {
  const t = s.trim();
  const kept = t.length > OUTPUT_KEPT ? `...${t.slice(-OUTPUT_KEPT)}` : t;
  // Hook output can come from an image (startContainer resolves in the container root): keep
  // terminal control characters out of what tsrun prints to the operator's terminal and log.
  return kept.replace(/\s*\n\s*/g, ' | ').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/** The argv of a hook: `args` when given (args[0] is argv0), otherwise just the path (Go's exec.Cmd does the same). */
export function hookArgv(h: Hook): { file: string; argv0: string; rest: string[] } {
  const args = h.args && h.args.length > 0 ? h.args : [h.path];
  return { file: h.path, argv0: args[0], rest: args.slice(1) };
}

/**
 * Runs one hook to completion. Throws HookError when it cannot be started, exits non-zero, dies
 * by a signal or runs over `timeout` (then it is SIGKILLed: config.md "timeout ... the number of
 * seconds before aborting the hook").
 */
export function runHook(phase: HookPhase, h: Hook, state: HookState): void {
  // config.md: "path ... MUST be absolute". Validation checks it too; a relative path here would be
  // looked up in $PATH by execvp(3), which is never what the spec means.
  if (!path.isAbsolute(h.path)) throw new HookError(phase, h.path, 'path is not absolute');
  // Only 0-2 reach the hook: whatever else this process holds without FD_CLOEXEC (the init stage's
  // channel to the parent, --preserve-fds, fds our caller leaked) must not (CVE-2024-21626 class).
  // Preserved fds get their flag cleared again just before the container's execve (final-exec.ts).
  libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  const { file, argv0, rest } = hookArgv(h);
  // `detached` is honoured by spawnSync (it sets UV_PROCESS_DETACHED) but missing from its types.
  const options: SpawnSyncOptionsWithStringEncoding & { detached: boolean } = {
    argv0,
    env: envObject(h.env),
    input: JSON.stringify(state),
    // stdout too: a hook's chatter must not land in the container's (or `tsrun`'s) stdout; runc
    // captures both and reports them on failure.
    stdio: ['pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: h.timeout !== undefined ? h.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    maxBuffer: MAX_OUTPUT,
    cwd: '/',
    // setsid(2): the hook leads a process group of its own, so a timeout can kill what it forked
    // too (spawnSync kills only the hook itself; a `sh -c 'sleep 100'` would leave the sleep).
    detached: true,
  };
  const r = loadHookRunner().spawnSync(file, rest, options);
  const stderr = tidyOutput(r.stderr ?? '');
  const stdout = tidyOutput(r.stdout ?? '');
  const output = [stderr && `stderr: ${stderr}`, !stderr && stdout && `stdout: ${stdout}`].filter(Boolean).join('; ');
  const tail = output ? `; ${output}` : '';
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ETIMEDOUT') {
    killGroup(r.pid);
    throw new HookError(phase, h.path, `timed out: still running after its timeout of ${h.timeout}s, killed with SIGKILL${tail}`, undefined, 'SIGKILL', true);
  }
  if (err?.code === 'ENOBUFS') {
    // spawnSync killed only the hook itself; what it forked must go too.
    killGroup(r.pid);
    throw new HookError(phase, h.path, `wrote more than ${MAX_OUTPUT} bytes of output, killed${tail}`);
  }
  // EPIPE: the hook exited without reading its stdin; its exit status below is what counts.
  if (err && err.code !== 'EPIPE') throw new HookError(phase, h.path, `cannot run: ${err.code ?? err.message}`);
  if (r.signal) throw new HookError(phase, h.path, `killed by ${r.signal}${tail}`, undefined, r.signal);
  if (r.status !== 0) throw new HookError(phase, h.path, `exit status ${r.status}${tail}`, r.status ?? undefined);
}

function killGroup(pgid: number | undefined): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is already empty
  }
}

/** Runs a phase's hooks in the listed order (config.md: "Hooks MUST be called in the listed order"); stops at the first failure. */
export function runHooks(phase: HookPhase, hooks: readonly Hook[] | undefined, state: HookState): void {
  for (const h of hooks ?? []) runHook(phase, h, state);
}

/** poststop: every hook runs; a failure is a warning (runtime.md Lifecycle 13). */
export function runHooksWarnOnly(phase: HookPhase, hooks: readonly Hook[] | undefined, state: HookState, warn: (m: string) => void): void {
  for (const h of hooks ?? []) {
    try {
      runHook(phase, h, state);
    } catch (e) {
      warn(e instanceof Error ? e.message : String(e));
    }
  }
}
