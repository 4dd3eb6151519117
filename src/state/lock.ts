// Serialises the verbs that change one container (create, start, delete): an exclusive flock(2)
// on the container's state directory. Readers (state, list) need no lock: state.json is replaced
// atomically. The lock dies with the process holding it, so a killed tsrun never leaves it held.
import fs = require('node:fs');
import * as libc from '../sys/libc';
import { containerDir } from './store';

const LOCK_EX = 2;

/** Takes the lock (waiting for another holder); returns the release function. */
export function lockContainer(root: string, id: string): () => void {
  let fd: number;
  try {
    fd = fs.openSync(containerDir(root, id), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch {
    // No dir, no container: the verb reports "does not exist" itself.
    return () => {};
  }
  libc.flock(fd, LOCK_EX);
  return () => fs.closeSync(fd);
}
