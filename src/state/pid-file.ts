// --pid-file: the host pid of the container's (or an exec'd) process, for the caller (containerd's
// shim and conmon read it as soon as create or exec --detach returns).
import fs = require('node:fs');
import path = require('node:path');
import { RuntimeError } from '../errors';

/** Writes the pid file atomically (temp + rename), as runc does: readers never see a partial pid. */
export function writePidFile(file: string, pid: number): void {
  const abs = path.resolve(file);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}`);
  try {
    fs.writeFileSync(tmp, String(pid), { mode: 0o644 });
    fs.renameSync(tmp, abs);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new RuntimeError('pid-file', `pid file ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
