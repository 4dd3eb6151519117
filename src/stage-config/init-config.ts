// What the init stage is told to build: the runtime-spec config already resolved by the parent
import type { PropagationName } from '../linux/mount-options';
// (absolute host paths, defaults applied) so the init stage makes no policy decisions of its own.
// Built by src/spec/convert.ts; sent in the `bootstrap` message.
import type { LinuxCapabilities, LinuxDevice, LinuxIDMapping, POSIXRlimit } from '../spec/types';
import type { InitSeccomp } from '../security/seccomp';
import type { InitHooks } from '../hooks/phases';
import type { LinuxIOPriority, LinuxMemoryPolicy, LinuxPersonality, Scheduler } from '../spec/types';

export interface InitMount {
  destination: string;
  /** For binds: an absolute host path (relative sources resolved against the bundle). */
  source: string;
  type: string;
  options: string[];
  /** An id-mapped bind: the parent makes its tree before the spawn (src/launcher/parent/idmap-trees.ts). */
  idmap?: InitMountIdmap;
  /** The init stage's fd of that tree, set by the parent (parent.ts); the stage moves it into place. */
  treeFd?: number;
}

/**
 * How a bind is id-mapped (config.md "Mounts": idmap, ridmap, uidMappings/gidMappings): through a
 * user namespace with these maps (the mount's own, else the container's new one's), or through
 * the user namespace the container joins (`usernsPath`).
 */
export interface InitMountIdmap {
  /** ridmap: every mount of the tree, not only its top (mount_setattr(2) AT_RECURSIVE). */
  recursive: boolean;
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  usernsPath?: string;
}

export interface CgroupMountPlan {
  /** 'v2': mount cgroup2; 'v1': tmpfs plus one mount per hierarchy (and cgroup2 `unified` on hybrid). */
  kind: 'v1' | 'v2' | 'hybrid';
  /** v1 hierarchies: directory name under /sys/fs/cgroup and the mount's super options (controllers). */
  hierarchies: { name: string; options: string; hostPath: string }[];
  /** Host path of the container's own cgroup in the unified hierarchy (bind source without cgroupns). */
  unifiedHostPath?: string;
  /** Symlinks such as cpu -> cpu,cpuacct. */
  links: { name: string; target: string }[];
}

export interface InitProcess {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  /**
   * setgroups(2) is denied in the container's user namespace (a rootless gid map of only the
   * caller's gid, src/spec/rootless.ts): the identity switch leaves the groups alone, as runc
   * does, instead of failing with EPERM (additionalGids is then refused at create).
   */
  setgroupsDenied?: boolean;
  umask?: number;
  rlimits: POSIXRlimit[];
  capabilities?: LinuxCapabilities;
  noNewPrivileges: boolean;
  /** sched_setattr(2) (src/security/scheduler.ts). */
  scheduler?: Scheduler;
  /** ioprio_set(2) (src/security/io-priority.ts). */
  ioPriority?: LinuxIOPriority;
  /** LSM exec labels, only present when the host runs that LSM (src/security/lsm.ts). */
  apparmorProfile?: string;
  selinuxLabel?: string;
  /** process.terminal: a pty from the container's devpts becomes the process's stdio (src/linux/pty.ts). */
  terminal: boolean;
  /** process.consoleSize, applied to the pty when both are non-zero (runc does the same). */
  consoleSize?: { height: number; width: number };
}

export interface InitConfig {
  id: string;
  /** Absolute host path of the root filesystem. */
  rootfs: string;
  readonlyRoot: boolean;
  rootfsPropagation?: PropagationName;
  /**
   * Does the container have a mount namespace of its own (new or joined)? When not, it shares the
   * runtime's: nothing is mounted and the root is entered with chroot(2) (init-steps.ts);
   * checks.ts has refused mounts, masked/read-only paths, a read-only root, rootfsPropagation and
   * a terminal.
   */
  ownMountNs: boolean;
  noPivot: boolean;
  /**
   * The container has a user namespace (new or joined): device nodes are bind-mounted from the
   * host, since mknod(2) needs CAP_MKNOD in the initial user namespace (src/linux/devices.ts).
   */
  userNs?: boolean;
  /**
   * Bind the node binary read-only in the new mount namespace as the first step (CVE-2019-5736).
   * Set by the parent when the trampoline made the mount namespace; otherwise the parent did it
   * before the spawn (parent.ts).
   */
  protectBinary?: boolean;
  /** Namespaces the init stage must create itself (cgroup: after the parent put it in its cgroup). */
  newCgroupNs: boolean;
  mounts: InitMount[];
  cgroupMount?: CgroupMountPlan;
  /** linux.devices plus the defaults runtime-linux.md requires. */
  devices: LinuxDevice[];
  /** Create /dev/fd, /dev/std* symlinks and /dev/ptmx (runtime-linux.md "Default Devices"). */
  setupDev: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  hostname?: string;
  domainname?: string;
  sysctl: Record<string, string>;
  /** Absolute host path of the exec fifo, opened (O_PATH) before pivot_root. */
  fifoPath: string;
  /** The exec fifo as an O_PATH fd passed by the parent (with a user namespace); else fifoPath is opened. */
  fifoFd?: number;
  /** Join a new session keyring named after the container (false with --no-new-keyring). */
  newKeyring: boolean;
  /** Number of fds after 0-2 handed to the container (--preserve-fds). */
  preserveFds: number;
  /**
   * With process.terminal: the init stage's fd of a connected unix socket (the --console-socket
   * client, or a socketpair of `tsrun run`) on which it sends the pty master, then closes it.
   * Set by the parent (parent.ts), which knows the fd numbering.
   */
  consoleSocketFd?: number;
  /** personality(2) before execve (src/security/personality.ts). */
  personality?: LinuxPersonality;
  /** set_mempolicy(2) before execve (src/security/memory-policy.ts). */
  memoryPolicy?: LinuxMemoryPolicy;
  /** Set when the process must exist (create/run); absent is allowed by the spec until start. */
  process?: InitProcess;
  /** linux.seccomp, already checked by the parent (src/security/seccomp.ts). */
  seccomp?: InitSeccomp;
  /** The hooks the init stage takes part in (src/hooks/phases.ts); absent when there are none. */
  hooks?: InitHooks;
}
