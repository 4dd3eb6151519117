// `state` and `list`: the container's state as runc prints it (runtime.md "State" plus runc's
// rootfs, created and owner fields), with the status derived from facts.
import { freezerStateOf } from '../cgroups/freezer-state';
import { containerDir, listIds, readRecord, tryReadRecord, type ContainerRecord } from '../state/store';
import { deriveStatus, type Status } from '../state/status';
import type { GlobalOptions } from './context';

export interface StateView {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export function statusOf(g: GlobalOptions, rec: ContainerRecord): Status {
  const frozen = (): boolean => {
    if (!rec.cgroup) return false;
    try {
      return freezerStateOf(rec.cgroup) === 'frozen';
    } catch {
      return false;
    }
  };
  return deriveStatus(rec, containerDir(g.root, rec.id), frozen);
}

function viewOf(g: GlobalOptions, rec: ContainerRecord): StateView {
  const status = statusOf(g, rec);
  const v: StateView = {
    ociVersion: rec.ociVersion,
    id: rec.id,
    // runtime.md: pid is for created and running containers; runc prints 0 once stopped.
    pid: status === 'stopped' ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    owner: rec.owner,
  };
  if (rec.annotations && Object.keys(rec.annotations).length) v.annotations = rec.annotations;
  return v;
}

export function containerState(g: GlobalOptions, id: string): StateView {
  return viewOf(g, readRecord(g.root, id));
}

export function listContainers(g: GlobalOptions): StateView[] {
  const out: StateView[] = [];
  for (const id of listIds(g.root)) {
    const rec = tryReadRecord(g.root, id);
    if (rec) out.push(viewOf(g, rec));
  }
  return out;
}
