// Which hook phase runs where, with which state (config.md "POSIX-platform Hooks", runtime.md
// "Lifecycle" steps 3-13; runc's behaviour where the spec is silent):
//
//  phase            verb    who runs it                     namespaces         status    pid
//  prestart         create  parent, on init's `hooks` msg   runtime (host)     creating  host pid
//  createRuntime    create  parent, same round trip         runtime (host)     creating  host pid
//  createContainer  create  init stage, before pivot_root   container's        creating  container's
//  startContainer   start   init stage, after the fifo      container's, root  created   container's
//  poststart        start   parent (`start`/`run`)          runtime (host)     running   host pid
//  poststop         delete  `delete` / foreground `run`     runtime (host)     stopped   (none)
//
// The status (PHASE_STATUS). runtime.md "State" defines `creating` as "being created (step 2)" and
// `created` as "the runtime has finished the create operation"; config.md calls prestart,
// createRuntime and createContainer "part of the create operation", so the spec allows either
// word for them. tsrun says `creating`, as runc does in every release from v1.1 to its main
// branch (libcontainer/process_linux.go procHooks and rootfs_linux.go set StateCreating
// explicitly). startContainer gets `created` (standard_init_linux.go: StateCreated), poststart
// `running` and poststop `stopped` (state_linux.go), which is also what the lifecycle implies.
// One difference from released runc (v1.1 to v1.5): it runs poststart during `create`, before
// the program, with status `created`; runc's main branch (commit 3cdda464f "Move poststart hook
// from runc create to runc start") runs it after the program started, as runtime.md Lifecycle
// 8-9 says, and tsrun does the same, with status `running`.
//
// The pid follows runtime.md "State": as the runtime sees it for hooks in the runtime namespace,
// as the container sees it for createContainer and startContainer (runc: unix.Getpid() in init).
// The ociVersion is the spec version tsrun writes the state for (runtime.md State: "with which
// the state complies"; runc sends specs.Version), not the config's ociVersion.
//
// prestart/createRuntime run after the init stage has made the mounts and before pivot_root
// (config.md: "called after the runtime environment has been created"); a failure of any hook
// before the user program stops the container and fails the verb. poststart failing fails `start`
// and stops the container (v1.3.0 Lifecycle 9); poststop failing is only a warning.
import type { Hook, Hooks } from '../spec/types';
import { RuntimeError } from '../errors';
import { runHooks, runHooksWarnOnly, type HookState } from './run';
import type { HookPhase } from './names';
import { SPEC_VERSION } from '../spec/version';

export type { HookPhase, HookState } from './run';

/** The phases the parent runs for the init stage's `hooks` message, in this order (prestart first: config.md). */
const RUNTIME_CREATE_PHASES = ['prestart', 'createRuntime'] as const;

export { ALL_PHASES } from './names';

/** The container status each phase's hooks read on stdin (see the top of this file). */
export const PHASE_STATUS: Readonly<Record<HookPhase, HookState['status']>> = Object.freeze({
  prestart: 'creating',
  createRuntime: 'creating',
  createContainer: 'creating',
  startContainer: 'created',
  poststart: 'running',
  poststop: 'stopped',
});

/** The part of the state that does not change over the lifecycle. */
export interface BaseState {
  ociVersion: string;
  id: string;
  bundle: string;
  annotations?: Record<string, string>;
}

/** What the init stage needs to run the container-namespace hooks (sent in `bootstrap`). */
export interface InitHooks {
  state: BaseState;
  /** Ask the parent to run prestart + createRuntime (round trip) before pivot_root. */
  runtimeRoundTrip: boolean;
  createContainer: Hook[];
  startContainer: Hook[];
}

export function stateOf(base: BaseState, status: HookState['status'], pid: number | undefined): HookState {
  // Key order of runtime.md's example. No pid once stopped: the spec requires it only for
  // created/running, and a stale pid may already name another process.
  return {
    ociVersion: base.ociVersion,
    id: base.id,
    status,
    ...(pid !== undefined && status !== 'stopped' ? { pid } : {}),
    bundle: base.bundle,
    ...(base.annotations ? { annotations: base.annotations } : {}),
  };
}

function has(list: Hook[] | undefined): boolean {
  return (list?.length ?? 0) > 0;
}

/** The `hooks` part of the init stage's bootstrap, or undefined when it has nothing to do. */
export function initHooksFor(hooks: Hooks | undefined, base: BaseState): InitHooks | undefined {
  if (!hooks) return undefined;
  const runtimeRoundTrip = has(hooks.prestart) || has(hooks.createRuntime);
  if (!runtimeRoundTrip && !has(hooks.createContainer) && !has(hooks.startContainer)) return undefined;
  return { state: base, runtimeRoundTrip, createContainer: hooks.createContainer ?? [], startContainer: hooks.startContainer ?? [] };
}

/** prestart then createRuntime, in the runtime namespace, with the init stage's host pid. Throws HookError. */
export function runRuntimeCreateHooks(hooks: Hooks | undefined, base: BaseState, hostPid: number, phases: readonly string[]): void {
  for (const phase of RUNTIME_CREATE_PHASES) {
    if (!phases.includes(phase)) continue;
    runHooks(phase, hooks?.[phase], stateOf(base, PHASE_STATUS[phase], hostPid));
  }
}

/** poststart, in the runtime namespace; throws HookError (the caller stops the container). */
export function runPoststartHooks(hooks: Hooks | undefined, base: BaseState, hostPid: number): void {
  runHooks('poststart', hooks?.poststart, stateOf(base, PHASE_STATUS.poststart, hostPid));
}

/** poststop: every hook runs, failures are warnings (runtime.md Lifecycle 13). */
export function runPoststopHooks(hooks: Hooks | undefined, base: BaseState, warn: (m: string) => void): void {
  runHooksWarnOnly('poststop', hooks?.poststop, stateOf(base, PHASE_STATUS.poststop, undefined), warn);
}

/**
 * How long `start` may wait for the init stage's answer on the exec fifo: the usual bound plus
 * the startContainer hooks' timeouts; unbounded when one of them has none (runc sets none at all;
 * `start` still notices the init stage dying).
 */
export function startWaitMs(hooks: Hooks | undefined, baseMs: number): number {
  let ms = baseMs;
  for (const h of hooks?.startContainer ?? []) {
    if (h.timeout === undefined) return Infinity;
    ms += h.timeout * 1000;
  }
  return ms;
}

/**
 * The fixed part of the state, from what the record of a container keeps. ociVersion is tsrun's
 * own spec version, not the config's (see the top of this file); `tsrun state` keeps reporting
 * the config's, as `runc state` does (runc state.go: Config.Version).
 */
export function baseStateOf(rec: { id: string; bundle: string; annotations?: Record<string, string> }): BaseState {
  return { ociVersion: SPEC_VERSION, id: rec.id, bundle: rec.bundle, annotations: rec.annotations };
}

/** A failure of a hook, thrown here (HookError) or reported by the init stage (code "hook"). */
export function isHookFailure(e: unknown): boolean {
  return e instanceof RuntimeError && e.code === 'hook';
}
