// tsrun as a library: the container lifecycle for programs that run it in-process instead of
// spawning the CLI, such as the containerd shim (src/shim/). Each function is the runtime-spec
// operation of the same name (runtime.md "Operations"), and calls the same src/container/<verb>.ts
// function as the CLI verb does, so both have one implementation, the same semantics and the same
// errors (RuntimeError subclasses, src/errors.ts); none prints anything.
//
// The CLI verbs import src/container/<verb>.ts directly rather than this file: a verb's bundle
// parses everything it imports on every call, and importing this file would pull create's whole
// launcher into `start`, `kill` and `delete` (their bundles grow from about 145 KB to 450 KB;
// the modules' load-time side effects, such as koffi bindings, defeat esbuild's tree shaking).
//
// Every function takes the Runtime (the state root, as `tsrun --root`). Containers made through
// the library are the same as the CLI's: `tsrun --root R state ID` sees them.
import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { createContainer, type CreateOptions } from './container/create';
import { startContainer } from './container/start';
import { killContainer } from './container/kill';
import { deleteContainer } from './container/delete';
import { containerState, type StateView } from './container/state';
import { containerProcesses } from './container/ps';
import { spawnExec, type LibraryExecOptions } from './container/exec';
import { pauseContainer, resumeContainer } from './container/pause';
import { updateContainer, validateResources } from './container/update';
import { statsEvent } from './container/events';
import { managerOf } from './container/cleanup';
import { readRecord } from './state/store';
import type { Stats } from './cgroups/stats';
import type { GlobalOptions } from './container/context';

export type Runtime = GlobalOptions;
export type { CreateOptions, StateView, Stats };
export type { LibraryExecOptions as ExecOptions };
export type { StdioEntry } from './launcher/parent/parent';

/** How a container's process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A container made by `create`, held by the process that made it. */
export interface CreatedContainer {
  id: string;
  /** Host pid of the container's process (the init stage until `start`, then the program). */
  pid: number;
  /** The init stage, a child of the caller: its stdio entries given as 'pipe' are here. */
  child: ChildProcess;
  /** With process.terminal and `ptyToCaller`: the pty master, the caller's to relay and close. */
  ptyMaster?: number;
  /** Resolves when the container's process exits (the caller is its parent, so it reaps it). */
  waitExit(): Promise<ExitStatus>;
  /** Lets the caller exit while the container lives on (`tsrun create` does this). */
  detach(): void;
}

/**
 * runtime.md "create": the container is built and waits for `start`. On failure nothing is left.
 * Unlike `tsrun create`, the caller stays the parent of the container's process and may wait for it.
 */
export async function create(rt: Runtime, o: CreateOptions): Promise<CreatedContainer> {
  const { record, handle, ptyMaster } = await createContainer(rt, o);
  // State is on disk (createContainer) before `go` (docs/ARCHITECTURE.md section 3).
  handle.send({ type: 'go' });
  return {
    id: record.id,
    pid: record.pid,
    child: handle.child,
    ptyMaster,
    waitExit: () => handle.waitExit(),
    detach: () => handle.release(),
  };
}

/** runtime.md "start": runs the program of a created container. */
export function start(rt: Runtime, id: string): void {
  startContainer(rt, id);
}

/** runtime.md "kill": `sig` to the container's process, or with `all` to every process in its cgroup. */
export function kill(rt: Runtime, id: string, sig: number, all = false): void {
  killContainer(rt, id, sig, all);
}

/** runtime.md "delete": a stopped container (any, with `force`) and everything made for it. */
export function remove(rt: Runtime, id: string, force = false): void {
  deleteContainer(rt, id, force);
}

/** runtime.md "state". */
export function state(rt: Runtime, id: string): StateView {
  return containerState(rt, id);
}

/** Host pids of the container's processes (`tsrun ps`). */
export function pids(rt: Runtime, id: string): number[] {
  return containerProcesses(rt, id);
}

/** A process started in a running container by `exec`. */
export interface ExecutedProcess {
  /** Host pid of the process. */
  pid: number;
  /** With process.terminal: the pty master, the caller's to relay and close. */
  ptyMaster?: number;
  /**
   * Resolves once the exec stage that spawned the process has exited. The process is then
   * reparented to the nearest child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER): a caller that
   * wants to reap it must be one, and waits for it with waitpid(2) itself.
   */
  stageExited: Promise<void>;
}

/**
 * `tsrun exec --process`: one more process in a created or running container, from a whole
 * runtime-spec process; its fds 0-2 are `stdio` (no terminal) or the slave of a new pty whose
 * master is returned (process.terminal).
 */
export async function exec(rt: Runtime, o: LibraryExecOptions): Promise<ExecutedProcess> {
  return spawnExec(rt, o);
}

/** `tsrun pause`: freezes every process of the container (its cgroup freezer). */
export function pause(rt: Runtime, id: string): void {
  pauseContainer(rt, id);
}

/** `tsrun resume`. */
export function resume(rt: Runtime, id: string): void {
  resumeContainer(rt, id);
}

/** `tsrun update --resources`: `resources` (a linux.resources document) merged over the container's limits. */
export function update(rt: Runtime, id: string, resources: unknown): void {
  updateContainer(rt, id, validateResources(resources));
}

/** `tsrun events --stats`: the container's cgroup statistics. */
export function stats(rt: Runtime, id: string): Stats {
  return statsEvent(rt, id).data as Stats;
}

/** The container's memory cgroup, for a caller that watches its OOM kills. */
export interface MemoryCgroup {
  /** v1: the memory hierarchy's directory (memory.oom_control); v2: the cgroup2 directory (memory.events). */
  dir: string;
  version: 1 | 2;
  /** How many times the OOM killer ran in it so far. */
  oomKills(): number;
}

export function memoryCgroup(rt: Runtime, id: string): MemoryCgroup | undefined {
  const rec = readRecord(rt.root, id);
  const cg = managerOf(rec);
  if (!cg || !rec.cgroup) return undefined;
  const v1 = rec.cgroup.paths.memory;
  const v2 = rec.cgroup.kind === 'v2' ? rec.cgroup.paths.unified : undefined;
  const dir = v1 ?? v2;
  if (dir === undefined) return undefined;
  return { dir, version: v1 !== undefined ? 1 : 2, oomKills: () => cg.oomKillCount() };
}

/** A shell's exit status for an ExitStatus: the code, or 128+n for signal n (as `tsrun run`). */
export function exitStatusNumber(e: ExitStatus): number {
  if (e.signal) return 128 + (osConstants.signals[e.signal] ?? 0);
  return e.code ?? 0;
}
