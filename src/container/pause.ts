// `pause` and `resume`: freeze and thaw every process of a container through its cgroup (v1
// freezer.state, v2 cgroup.freeze; the manager picks). Neither verb is in the runtime-spec; both
// follow runc (libcontainer/container_linux.go Pause/Resume): pause is allowed for a created or
// running container, resume only for a paused one, and the status `paused` is derived from the
// freezer on every read (state/status.ts), so nothing is written to state.json here.
import { CgroupError } from '../cgroups/errors';
import type { CgroupManager } from '../cgroups/manager';
import { StateError } from '../errors';
import { lockContainer } from '../state/lock';
import { readRecord, type ContainerRecord } from '../state/store';
import { containerPids, managerOf } from './cleanup';
import { statusOf } from './state';
import { canPause, canResume } from '../state/status';
import type { GlobalOptions } from './context';

function managerFor(rec: ContainerRecord): CgroupManager {
  const cg = managerOf(rec);
  // A record without cgroup paths cannot come from this tsrun's create; say what is missing.
  if (!cg) throw new CgroupError(`container ${rec.id} has no cgroup recorded; it cannot be frozen`, { code: 'cgroup-state' });
  return cg;
}

/** Runs `fn` on the container's record under its lock (serialised with start, delete and update). */
function withRecord<T>(g: GlobalOptions, id: string, fn: (rec: ContainerRecord) => T): T {
  const unlock = lockContainer(g.root, id);
  try {
    return fn(readRecord(g.root, id));
  } finally {
    unlock();
  }
}

export function pauseContainer(g: GlobalOptions, id: string): void {
  withRecord(g, id, (rec) => {
    const refused = canPause(statusOf(g, rec));
    if (refused) throw refused;
    const cg = managerFor(rec);
    cg.freeze('frozen');
    // runc pause.go: the container may have exited between the status check and the freeze;
    // a frozen empty cgroup is not a paused container, so undo and say so.
    if (containerPids(rec, cg).length === 0) {
      cg.freeze('thawed');
      throw new StateError('container process already exited');
    }
  });
}

export function resumeContainer(g: GlobalOptions, id: string): void {
  withRecord(g, id, (rec) => {
    const refused = canResume(statusOf(g, rec));
    if (refused) throw refused;
    managerFor(rec).freeze('thawed');
  });
}
