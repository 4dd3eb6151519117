// The hooks the init stage runs itself, inside the container's namespaces (config.md:
// createContainer and startContainer "MUST be called ... in the container namespace").
//
// Why the init stage and not the parent's namespace window: the init stage is already in every
// namespace of the container (mount, pid, net, ipc, uts, cgroup and time), which a parent cannot
// fully reproduce: setns(2) into a time namespace needs a single-threaded caller (EUSERS), and a
// pid namespace can only be entered for children (pid_for_children). runc makes the same choice
// (its init runs both phases). Before pivot_root the init stage's mount namespace still shows the
// runtime's paths, so a createContainer `path` resolves "in the runtime namespace" as config.md
// asks; after pivot_root a startContainer `path` resolves in the container's root.
import fs = require('node:fs');
import { loadHookRunner, runHooks } from './run';
import { PHASE_STATUS, stateOf, type InitHooks } from './phases';
import { encodeStartFailure } from './start-fifo';

/**
 * Called by the init stage after the mounts and before pivot_root: asks the parent to run
 * prestart and createRuntime (`roundTrip`), then runs createContainer. Throws on failure (the
 * init stage reports it as an `error` message and create fails).
 */
export function runCreateHooks(h: InitHooks | undefined, roundTrip: () => void): void {
  if (!h) return;
  // Before pivot_root, while the host's view is still ours: the startContainer hooks run after it.
  if (h.createContainer.length > 0 || h.startContainer.length > 0) loadHookRunner();
  if (h.runtimeRoundTrip) roundTrip();
  // pid "as seen by the container" (runtime.md State): the init stage's own pid in its namespace.
  runHooks('createContainer', h.createContainer, stateOf(h.state, PHASE_STATUS.createContainer, process.pid));
}

/**
 * Called by the init stage once `start` has opened the exec fifo (fd `fifo`), before anything of
 * the final exec. Runs as the container's user with its capabilities (the identity switch happened
 * at create), as runc does. On failure tells `start` through the fifo and exits: the user program
 * must not run (runtime.md Lifecycle 7).
 */
export function runStartContainerHooks(h: InitHooks | undefined, fifo: number): void {
  if (!h || h.startContainer.length === 0) return;
  try {
    runHooks('startContainer', h.startContainer, stateOf(h.state, PHASE_STATUS.startContainer, process.pid));
  } catch (e) {
    try {
      fs.writeSync(fifo, encodeStartFailure(e instanceof Error ? e.message : String(e)));
    } catch {
      // `start` is gone; it will see the init stage exit
    }
    process.exit(1);
  }
}
