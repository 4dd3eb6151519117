// The last steps that turn the calling thread into the template of the container's process, in
// runc's order (finalizeNamespace), shared by the init stage (create) and the exec stage:
// attributes that need the runtime's privileges first, then seccomp (before the drop when
// no_new_privs is off: seccomp(2) then needs CAP_SYS_ADMIN), the bounding set (needs CAP_SETPCAP),
// the uid/gid switch with keepcaps, the capability sets, non-dumpable, no_new_privs, umask, cwd,
// and argv[0] resolved inside the container's root. What follows (execve, or posix_spawn) is the
// caller's, and so is loading seccomp when no_new_privs is on.
import * as libc from '../sys/libc';
import { O, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS } from '../sys/constants';
import { applyCapSets, dropBoundingSet, planCapabilities } from '../security/capabilities';
import { wordsToCaps } from '../security/capability-table';
import { applyRlimits, planRlimits } from '../security/rlimits';
import { switchIdentity } from '../security/identity';
import { applyScheduler } from '../security/scheduler';
import { applyIoPriority } from '../security/io-priority';
import { loadSeccomp, type ArmedSeccomp } from '../security/seccomp';
import { openInRoot } from '../linux/in-root';
import { resolveExecutable } from './resolve-exec';
import { step } from './step';
import type { InitProcess } from './init-config';

export interface BecomeOptions {
  proc: InitProcess;
  /** O_PATH fd of the container's root: cwd and argv[0] are resolved below it (in-root.ts). */
  root: number;
  lastCap: number;
  /** Loaded here only when no_new_privs is off; otherwise the caller loads it last. */
  seccomp?: ArmedSeccomp;
  /** The container status the seccomp listener is told (config-linux.md containerProcessState). */
  seccompStatus: 'creating' | 'running';
  warn: (msg: string) => void;
  /** Lines for `--debug` only (the parent logs them at debug level). */
  debug: (msg: string) => void;
  /** Process-wide attributes set while still privileged (the init stage: memoryPolicy, personality). */
  privileged?: () => void;
}

/** Returns the executable's path inside the root. */
export function becomeProcess(o: BecomeOptions): string {
  const { proc, root, seccomp } = o;
  // rlimits while we still hold every capability the runtime has (runc's init does the same
  // before finalizeNamespace): raising a hard limit needs CAP_SYS_RESOURCE, which the
  // container's own set may lack.
  step('rlimits', () => applyRlimits(planRlimits(proc.rlimits)));
  // Attributes of this thread that execve keeps, set while the runtime's capabilities are still
  // held: real-time policies and a lower nice need CAP_SYS_NICE, IOPRIO_CLASS_RT CAP_SYS_ADMIN.
  const { scheduler, ioPriority } = proc;
  if (scheduler) step('scheduler', () => applyScheduler(scheduler));
  if (ioPriority) step('io-priority', () => applyIoPriority(ioPriority));
  o.privileged?.();
  const held = wordsToCaps(libc.capget().permitted);
  const caps = proc.capabilities ? planCapabilities(proc.capabilities, o.lastCap, held) : undefined;
  caps?.warnings.forEach(o.warn);
  caps?.debug.forEach(o.debug);
  // Without no_new_privs, seccomp is loaded now, before the capability drop, and the rest runs
  // under it (runc does the same, standard_init_linux.go).
  if (seccomp && !proc.noNewPrivileges) step('seccomp', () => loadSeccomp(seccomp, o.seccompStatus));
  if (caps) step('capabilities', () => dropBoundingSet(caps, o.lastCap));
  step('user', () => switchIdentity(proc.uid, proc.gid, proc.additionalGids));
  if (caps) step('capabilities', () => applyCapSets(caps));
  // A uid change resets the dumpable flag to fs.suid_dumpable; make sure it stays off.
  libc.prctl(PR_SET_DUMPABLE, 0);
  if (proc.noNewPrivileges) step('no_new_privs', () => libc.prctl(PR_SET_NO_NEW_PRIVS, 1));
  // The configured umask, or the caller's (convert.ts fills that in, as config.md asks).
  libc.umask(proc.umask ?? 0o022);
  // Enter the cwd as the container user (a cwd the user cannot search fails here, as in runc),
  // through a confined fd rather than the path.
  step('cwd', () => {
    const fd = openInRoot(root, proc.cwd, O.DIRECTORY, proc.cwd);
    try {
      libc.fchdir(fd);
    } finally {
      libc.close(fd);
    }
  });
  return step('exec', () => resolveExecutable(root, proc.cwd, proc.args[0], proc.env));
}
