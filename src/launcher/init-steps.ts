// The init stage's build steps, in the order the kernel and the spec require. Each step is named;
// a failure is reported to the parent as error{step, ...} and `create` fails with nothing left.
// Order constraints are commented where they are: those are the lines people later "fix".
import fs from 'node:fs';
import * as libc from '../sys/libc';
import { CLONE_NEWCGROUP, O, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS } from '../sys/constants';
import { prepareRootfs, applyRootPropagationAfterPivot } from '../linux/rootfs';
import { moveInto, pivotInto } from '../linux/pivot';
import { maskPath, readonlyPath, setReadonly } from '../linux/paths';
import { setHostnames, writeSysctls } from '../linux/system';
import { applyCapSets, dropBoundingSet, planCapabilities, readLastCap } from '../security/capabilities';
import { checkRlimits, planRlimits, type RlimitPlan } from '../security/rlimits';
import { switchIdentity } from '../security/identity';
import { wordsToCaps } from '../security/capability-table';
import { resolveExecutable } from './resolve-exec';
import type { InitConfig } from './init-config';

export interface Prepared {
  fifoFd: number;
  preserveFds: number;
  rlimits: RlimitPlan[];
  /** Absent when config.json has no process: `start` refuses such a container. */
  executable?: string;
  args: string[];
  env: string[];
}

export class StepError extends Error {
  constructor(readonly step: string, readonly cause: unknown) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

function step<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new StepError(name, e);
  }
}

const CAP_SYS_RESOURCE = 24;

export function buildContainer(cfg: InitConfig, warn: (msg: string) => void): Prepared {
  // cgroup namespace after the parent has put us in our cgroup (it did, before bootstrap), so the
  // namespace's root is the container's cgroup (cgroup_namespaces(7)).
  if (cfg.newCgroupNs) step('cgroupns', () => libc.unshare(CLONE_NEWCGROUP));

  const lastCap = readLastCap();
  const rootFd = step('rootfs', () => prepareRootfs(cfg));
  libc.close(rootFd);

  // The fifo's host path vanishes at pivot_root: hold it by an O_PATH fd (reopened for writing in
  // final-exec.ts through /proc/self/fd).
  const fifoFd = step('exec-fifo', () => libc.open(cfg.fifoPath, O.PATH | O.CLOEXEC));

  step('pivot_root', () => (cfg.noPivot ? moveInto(cfg.rootfs) : pivotInto(cfg.rootfs)));
  step('propagation', () => applyRootPropagationAfterPivot(cfg));
  // runc creates a missing cwd (as root, before the uid switch) rather than failing; before the
  // root goes read-only, or it could not.
  const cwd = cfg.process?.cwd;
  if (cwd) step('cwd', () => fs.mkdirSync(cwd, { recursive: true, mode: 0o755 }));
  step('sysctl', () => writeSysctls(cfg.sysctl));
  // Masked and read-only paths after sysctl: /proc/sys is usually read-only once done.
  step('readonly-paths', () => cfg.readonlyPaths.forEach(readonlyPath));
  step('masked-paths', () => cfg.maskedPaths.forEach(maskPath));
  step('hostname', () => setHostnames(cfg.hostname, cfg.domainname));
  if (cfg.readonlyRoot) step('readonly-root', () => setReadonly('/', false));

  const proc = cfg.process;
  if (!proc) return { fifoFd, preserveFds: cfg.preserveFds, rlimits: [], args: [], env: [] };

  const rlimits = step('rlimits', () => planRlimits(proc.rlimits));
  const held = wordsToCaps(libc.capget().permitted);
  const caps = proc.capabilities ? planCapabilities(proc.capabilities, lastCap, held) : undefined;
  caps?.warnings.forEach(warn);
  // Check rlimits while we may still hold CAP_SYS_RESOURCE; applied just before execve.
  step('rlimits', () => checkRlimits(rlimits, caps ? caps.effective.includes(CAP_SYS_RESOURCE) && hasCap(CAP_SYS_RESOURCE) : hasCap(CAP_SYS_RESOURCE)));

  // Order (runc finalizeNamespace): bounding set first (needs CAP_SETPCAP), then the uid switch
  // with keepcaps, then the capset(2) sets and ambient.
  if (caps) step('capabilities', () => dropBoundingSet(caps, lastCap));
  step('user', () => switchIdentity(proc.uid, proc.gid, proc.additionalGids));
  if (caps) step('capabilities', () => applyCapSets(caps));
  // A uid change resets the dumpable flag to fs.suid_dumpable; make sure it stays off.
  libc.prctl(PR_SET_DUMPABLE, 0);
  if (proc.noNewPrivileges) step('no_new_privs', () => libc.prctl(PR_SET_NO_NEW_PRIVS, 1));
  if (proc.umask !== undefined) libc.umask(proc.umask);
  // chdir as the container user, so a cwd the user cannot enter fails here (runc does the same).
  step('cwd', () => libc.chdir(proc.cwd));
  const executable = step('exec', () => resolveExecutable(proc.args[0], proc.env));
  return { fifoFd, preserveFds: cfg.preserveFds, rlimits, executable, args: proc.args, env: proc.env };
}

function hasCap(cap: number): boolean {
  const c = libc.capget();
  return ((c.effective[cap >> 5] >>> (cap & 31)) & 1) === 1;
}
