// `delete`: remove a stopped container (runtime.md "delete"): its cgroups and state. A created,
// running or paused one only with --force (which kills it first). A missing container with
// --force is not an error (containerd relies on it).
import { tryReadRecord, containerDir, notFound } from '../state/store';
import { destroyContainer, removeBareDir } from './cleanup';
import { trace } from '../trace';
import { statusOf } from './state';
import { canDelete } from '../state/status';
import { lockContainer } from '../state/lock';
import type { GlobalOptions } from './context';
import fs = require('node:fs');
import { baseStateOf, runPoststopHooks } from '../hooks/phases';
import { log } from '../log';

export function deleteContainer(g: GlobalOptions, id: string, force: boolean): void {
  const unlock = lockContainer(g.root, id);
  try {
    deleteLocked(g, id, force);
  } finally {
    unlock();
  }
}

function deleteLocked(g: GlobalOptions, id: string, force: boolean): void {
  const rec = tryReadRecord(g.root, id);
  if (!rec) {
    // A dir without a record: a create killed before it wrote anything. --force clears it.
    if (force) {
      if (fs.existsSync(containerDir(g.root, id))) removeBareDir(g.root, id);
      return;
    }
    throw notFound(id);
  }
  const refused = canDelete(statusOf(g, rec), force, id);
  if (refused) throw refused;
  destroyContainer(g.root, rec);
  trace('container destroyed');
  // runtime.md Lifecycle 13: after the container is destroyed, before delete returns; a failing
  // poststop hook is a warning and the others still run. The hooks are the ones stored at create.
  runPoststopHooks(rec.config.hooks, baseStateOf(rec), (m) => log.warn(m));
}
