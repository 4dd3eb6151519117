// The last steps that turn the calling thread into the template of the container's process, in
// runc's order (finalizeNamespace), shared by the init stage (create) and the exec stage:
// attributes that need the runtime's privileges first, the bounding set (needs CAP_SETPCAP), the
// uid/gid switch with keepcaps, the capability sets, non-dumpable, no_new_privs, umask, cwd, and
// argv[0] resolved inside the container's root. What follows is the caller's: sealProcess (the
// seccomp load, then the capabilities held for it) right before execve or posix_spawn.
//
// Seccomp comes last whether or not no_new_privs is set, so that a profile constrains nothing of
// ours but the few calls listed in src/security/after-seccomp.ts. runc loads it before
// finalizeNamespace when no_new_privs is off, because seccomp(2) then needs CAP_SYS_ADMIN, which
// the container's own sets usually lack; its init then resolves paths under the filter, and an
// older deny-by-default profile without openat2 stopped every tsrun container that way (EPERM on
// the cwd). tsrun instead keeps CAP_SYS_ADMIN effective across the drop until the load, and drops
// it with one capset(2) right after.
import type { Sys } from '../../sys/sys';
import { O, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS } from '../../sys/constants';
import { applyCapSets, dropBoundingSet, planCapabilities, withCapability, type CapPlan } from '../../security/capabilities';
import { capabilityNumber, wordsToCaps } from '../../security/capability-table';
import { applyRlimits, planRlimits } from '../../security/rlimits';
import { switchIdentity } from '../../security/identity';
import { applyScheduler } from '../../security/scheduler';
import { applyIoPriority } from '../../security/io-priority';
import { loadSeccomp, type ArmedSeccomp } from '../../security/seccomp';
import { openInRoot } from '../../linux/in-root';
import { resolveExecutable } from './resolve-exec';
import { step } from './step';
import type { InitProcess } from '../../stage-config/init-config';

export interface BecomeOptions {
  proc: InitProcess;
  /** O_PATH fd of the container's root: cwd and argv[0] are resolved below it (in-root.ts). */
  root: number;
  lastCap: number;
  /** Not loaded here: sealProcess loads it, last. Without no_new_privs, CAP_SYS_ADMIN is kept for it. */
  seccomp?: ArmedSeccomp;
  warn: (msg: string) => void;
  /** Lines for `--debug` only (the parent logs them at debug level). */
  debug: (msg: string) => void;
  /** Process-wide attributes set while still privileged (the init stage: memoryPolicy, personality). */
  privileged?: () => void;
}

/** What is left for sealProcess, the caller's last step before execve or posix_spawn. */
export interface Seal {
  seccomp?: ArmedSeccomp;
  /** Drops what was held only for the seccomp load (CAP_SYS_ADMIN without no_new_privs). */
  release?: () => void;
}

export interface Became {
  /** The executable's path inside the root. */
  executable: string;
  seal: Seal;
}

const CAP_SYS_ADMIN = capabilityNumber('CAP_SYS_ADMIN') as number;

/** The thread's sets after the switch, with `cap` also effective; returns how to put them back. */
function holdCapability(sys: Sys, cap: number): (() => void) | undefined {
  const now = sys.capget();
  if (wordsToCaps(now.effective).includes(cap)) return undefined;
  sys.capset({ ...now, effective: [now.effective[0] | (cap < 32 ? 1 << cap : 0), now.effective[1] | (cap >= 32 ? 1 << (cap - 32) : 0)] });
  return () => sys.capset(now);
}

export function becomeProcess(sys: Sys, o: BecomeOptions): Became {
  const { proc, root, seccomp } = o;
  // rlimits while we still hold every capability the runtime has (runc's init does the same
  // before finalizeNamespace): raising a hard limit needs CAP_SYS_RESOURCE, which the
  // container's own set may lack.
  step('rlimits', () => applyRlimits(sys, planRlimits(proc.rlimits)));
  // Attributes of this thread that execve keeps, set while the runtime's capabilities are still
  // held: real-time policies and a lower nice need CAP_SYS_NICE, IOPRIO_CLASS_RT CAP_SYS_ADMIN.
  const { scheduler, ioPriority } = proc;
  if (scheduler) step('scheduler', () => applyScheduler(sys, scheduler));
  if (ioPriority) step('io-priority', () => applyIoPriority(sys, ioPriority));
  o.privileged?.();
  const held = wordsToCaps(sys.capget().permitted);
  const caps = proc.capabilities ? planCapabilities(proc.capabilities, o.lastCap, held) : undefined;
  caps?.warnings.forEach(o.warn);
  caps?.debug.forEach(o.debug);
  // Without no_new_privs, loading the filter needs CAP_SYS_ADMIN in the effective set (seccomp(2)
  // EACCES otherwise), so it is held until sealProcess has loaded it. It never reaches the
  // program: release() sets the final sets before execve or posix_spawn.
  const holdAdmin = Boolean(seccomp) && !proc.noNewPrivileges;
  if (caps) step('capabilities', () => dropBoundingSet(sys, caps, o.lastCap));
  step('user', () => switchIdentity(sys, proc.uid, proc.gid, proc.additionalGids, proc.setgroupsDenied));
  let release: (() => void) | undefined;
  if (caps) {
    const held = holdAdmin && !caps.effective.includes(CAP_SYS_ADMIN);
    step('capabilities', () => applyCapSets(sys, held ? withCapability(caps, CAP_SYS_ADMIN) : caps));
    if (held) release = () => applyCapSets(sys, caps as CapPlan);
  } else if (holdAdmin) {
    // No capabilities in the config: the sets are what the uid switch left; only the effective
    // CAP_SYS_ADMIN (cleared by a switch away from uid 0, capabilities(7)) is borrowed back.
    release = step('capabilities', () => holdCapability(sys, CAP_SYS_ADMIN));
  }
  // A uid change resets the dumpable flag to fs.suid_dumpable; make sure it stays off.
  sys.prctl(PR_SET_DUMPABLE, 0);
  if (proc.noNewPrivileges) step('no_new_privs', () => sys.prctl(PR_SET_NO_NEW_PRIVS, 1));
  // The configured umask, or the caller's (convert.ts fills that in, as config.md asks).
  sys.umask(proc.umask ?? 0o022);
  // Enter the cwd as the container user (a cwd the user cannot search fails here, as in runc),
  // through a confined fd rather than the path.
  step('cwd', () => {
    const fd = openInRoot(sys, root, proc.cwd, O.DIRECTORY, proc.cwd);
    try {
      sys.fchdir(fd);
    } finally {
      sys.close(fd);
    }
  });
  const executable = step('exec', () => resolveExecutable(sys, root, proc.cwd, proc.args[0], proc.env));
  return { executable, seal: { seccomp, release } };
}

/**
 * The last step before execve (init stage) or posix_spawn (exec stage): load the filter, then
 * drop what was held for it. Only the calls in src/security/after-seccomp.ts may follow the load.
 */
export function sealProcess(sys: Sys, s: Seal, status: 'created' | 'running'): void {
  if (s.seccomp) step('seccomp', () => loadSeccomp(sys, s.seccomp as ArmedSeccomp, status));
  if (s.release) step('capabilities', s.release);
}
