// `run`: create and start in one command. In the foreground it forwards signals to the container
// process, waits for it, removes the container, and returns its exit status (128+n when it was
// killed by signal n), as `runc run` does. With --detach it returns once the process runs.
import { constants as osConstants } from 'node:os';
import { createContainer, type CreateOptions } from './create';
import { releaseInit } from './start';
import { destroyContainer } from './cleanup';
import { writeRecord } from '../state/store';
import type { GlobalOptions } from './context';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function runContainer(g: GlobalOptions, o: CreateOptions & { detach: boolean; keep?: boolean }): Promise<number> {
  const { record, handle } = await createContainer(g, o);
  handle.send({ type: 'go' });
  try {
    releaseInit(g, record);
  } catch (e) {
    await handle.kill();
    destroyContainer(g.root, record);
    throw e;
  }
  record.lastStatus = 'running';
  writeRecord(g.root, record);
  if (o.detach) {
    handle.release();
    return 0;
  }
  const forward = (sig: NodeJS.Signals): void => {
    try {
      process.kill(record.pid, sig);
    } catch {
      // the process is gone; its exit is on the way
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  const exit = await handle.waitExit();
  for (const s of FORWARDED) process.removeListener(s, forward);
  handle.release();
  // runc run --keep: leave the stopped container for the caller to inspect and delete.
  if (!o.keep) destroyContainer(g.root, record);
  if (exit.signal) return 128 + (osConstants.signals[exit.signal] ?? 0);
  return exit.code ?? 0;
}
