// The namespace types tsrun creates or joins (config-linux.md "Namespaces"): clone(2) flag and
// /proc/<pid>/ns file name of each. This table is what the runtime implements: the namespace
// window (src/launcher/parent/ns-window.ts) enters exactly these, the converter (src/spec/convert.ts)
// refuses any other type, and `tsrun features` lists these keys (features-linux.md "namespaces").
// user is not a window namespace: it needs a single-threaded caller to unshare or join, so the
// trampoline (src/launcher/parent/trampoline.ts, docs/ARCHITECTURE.md section 1) handles it. Kept free of
// runtime imports so `features` and validation load it cheaply.
import { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS } from '../sys/constants';

/**
 * Namespaces the parent handles in the window. cgroup: only joined there; a new one is made by
 * the init stage after it is in its cgroup.
 */
export type WindowNs = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'time' | 'cgroup';

/** Every namespace type tsrun creates or joins. */
export type NamespaceType = WindowNs | 'user';

export const NAMESPACE_TABLE: Readonly<Record<NamespaceType, { flag: number; proc: string }>> = Object.freeze({
  user: { flag: CLONE_NEWUSER, proc: 'user' },
  pid: { flag: CLONE_NEWPID, proc: 'pid' },
  network: { flag: CLONE_NEWNET, proc: 'net' },
  mount: { flag: CLONE_NEWNS, proc: 'mnt' },
  ipc: { flag: CLONE_NEWIPC, proc: 'ipc' },
  uts: { flag: CLONE_NEWUTS, proc: 'uts' },
  time: { flag: CLONE_NEWTIME, proc: 'time' },
  cgroup: { flag: CLONE_NEWCGROUP, proc: 'cgroup' },
});

/** Is `type` a namespace tsrun implements? */
export function isImplementedNamespace(type: string): type is NamespaceType {
  return Object.hasOwn(NAMESPACE_TABLE, type);
}
