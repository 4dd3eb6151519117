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
import type { GlobalOptions } from './container/context';

export type Runtime = GlobalOptions;
export type { CreateOptions, StateView };
export type { StdioEntry } from './launcher/parent';

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
  const { record, handle } = await createContainer(rt, o);
  // State is on disk (createContainer) before `go` (docs/ARCHITECTURE.md section 3).
  handle.send({ type: 'go' });
  return {
    id: record.id,
    pid: record.pid,
    child: handle.child,
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

/** A shell's exit status for an ExitStatus: the code, or 128+n for signal n (as `tsrun run`). */
export function exitStatusNumber(e: ExitStatus): number {
  if (e.signal) return 128 + (osConstants.signals[e.signal] ?? 0);
  return e.code ?? 0;
}
