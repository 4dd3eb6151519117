// `run`: create and start in one command. In the foreground it forwards signals to the container
// process, waits for it, removes the container, and returns its exit status (128+n when it was
// killed by signal n), as `runc run` does. With --detach it returns once the process runs.
// With process.terminal in the foreground, tsrun relays the container's pty (tty-relay.ts).
import { constants as osConstants } from 'node:os';
import { createContainer, type CreateOptions, type Created } from './create';
import { releaseInit, runPoststart } from './start';
import { baseStateOf, isHookFailure, runPoststopHooks } from '../hooks/phases';
import type { ContainerRecord } from '../state/store';
import { log } from '../log';
import { destroyContainer } from './cleanup';
import { writeRecord } from '../state/store';
import type { GlobalOptions } from './context';
import { startTtyRelay, type TtyRelay } from './tty-relay';
import { SignalForwarder } from './signal-forwarder';
import { trace } from '../trace';

export async function runContainer(g: GlobalOptions, o: RunOptions): Promise<number> {
  // Listening before anything starts (signal-forwarder.ts); while `create` runs, its own handler
  // tears down, and signals before the process exists are not held.
  const signals = o.detach ? undefined : new SignalForwarder(false);
  try {
    return await runForwarding(g, o, (pid, tty) => signals?.setTarget((sig) => process.kill(pid, sig), tty));
  } finally {
    signals?.stop();
  }
}

type RunOptions = CreateOptions & { detach: boolean; keep?: boolean };

async function runForwarding(g: GlobalOptions, o: RunOptions, setTarget: (pid: number, tty: boolean) => void): Promise<number> {
  const { record, handle, ptyMaster } = await createContainer(g, { ...o, foreground: !o.detach });
  // Before `go`: nothing the process writes is lost (it waits in the pty), and the window size
  // is ours before the process first asks for it.
  const relay = ptyMaster !== undefined ? startTtyRelay(ptyMaster) : undefined;
  setTarget(record.pid, relay !== undefined);
  try {
    return await startAndWait(g, o, record, handle, relay);
  } finally {
    relay?.close();
  }
}

async function startAndWait(g: GlobalOptions, o: RunOptions, record: ContainerRecord, handle: Created['handle'], relay: TtyRelay | undefined): Promise<number> {
  handle.send({ type: 'go' });
  try {
    releaseInit(g, record);
  } catch (e) {
    await handle.kill();
    destroyContainer(g.root, record);
    // startContainer failed: Lifecycle 7 continues at 12 (destroy) and 13 (poststop).
    if (isHookFailure(e)) poststop(record);
    throw e;
  }
  record.lastStatus = 'running';
  writeRecord(g.root, record);
  try {
    runPoststart(record);
  } catch (e) {
    // poststart failed (Lifecycle 9): stop the container, destroy it, poststop.
    await handle.kill();
    destroyContainer(g.root, record);
    poststop(record);
    throw e;
  }
  if (o.detach) {
    handle.release();
    return 0;
  }
  const exit = await handle.waitExit();
  trace('container process exited');
  handle.release();
  // Drain what the process wrote before it exited (runc waits for its copy to finish too).
  await relay?.finish();
  // runc run --keep: leave the stopped container for the caller to inspect and delete.
  if (!o.keep) {
    destroyContainer(g.root, record);
    trace('container destroyed');
    poststop(record);
  }
  if (exit.signal) return 128 + (osConstants.signals[exit.signal] ?? 0);
  return exit.code ?? 0;
}

/** poststop after the container is gone (runtime.md Lifecycle 13): failures are warnings. */
function poststop(record: ContainerRecord): void {
  runPoststopHooks(record.config.hooks, baseStateOf(record), (m) => log.warn(m));
}
