// TypeScript shapes of the OCI runtime-spec v1.3.0 documents tsrun reads or writes:
//   - config.json (config.md, config-linux.md): `Spec` and everything under it
//   - the container state (runtime.md "State"): `State`
//   - the features document (features.md, features-linux.md): `Features`
// These are the *raw* spec shapes as they come out of JSON, after schema validation
// (src/spec/validate.ts). Per config.md "unknown properties MUST be ignored", so every object may
// carry more keys than listed here; the types list only the ones the spec defines.
// Integer widths from the spec (uint32, int64, ...) are noted in comments; JSON numbers beyond
// 2^53 lose precision in JS, which the schema tolerates (it checks ranges, not exactness).

// ---------------------------------------------------------------------------------------------
// config.md: the top level
// ---------------------------------------------------------------------------------------------

export interface Spec {
  /** SemVer of the runtime-spec the bundle complies with (REQUIRED). */
  ociVersion: string;
  /** Container root filesystem (REQUIRED on Linux). */
  root?: Root;
  /** Additional mounts, applied in order after root. */
  mounts?: Mount[];
  /** The container process; required for `start`. */
  process?: Process;
  hostname?: string;
  /** [v1.1.0] NIS domain name, needs a UTS namespace. */
  domainname?: string;
  /** Lifecycle hooks (config.md "POSIX-platform Hooks"). */
  hooks?: Hooks;
  /** Arbitrary metadata; keys non-empty, `org.opencontainers.*` reserved. */
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Root {
  /** Absolute, or relative to the bundle directory. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  /** Absolute path inside the container (relative is deprecated but accepted). */
  destination: string;
  source?: string;
  /** Filesystem type (mount(2) `filesystemtype`); "bind" or "none" with bind options. */
  type?: string;
  /** fstab-style options: "ro", "nosuid", "bind", "rprivate", "idmap", ... */
  options?: string[];
  /** [v1.1.0] id-mapped mount mappings (mount_setattr(2) MOUNT_ATTR_IDMAP). */
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
}

export interface Process {
  /** Allocate a pseudo-terminal (default false). */
  terminal?: boolean;
  consoleSize?: Box;
  /** Absolute path inside the container (REQUIRED). */
  cwd: string;
  /** "KEY=value" entries (execve(2) envp). */
  env?: string[];
  /** argv; args[0] resolved like execvp(3). REQUIRED with at least one entry on Linux. */
  args: string[];
  /** Windows only: the full command line. */
  commandLine?: string;
  rlimits?: POSIXRlimit[];
  apparmorProfile?: string;
  capabilities?: LinuxCapabilities;
  noNewPrivileges?: boolean;
  /** Written to /proc/<pid>/oom_score_adj; range -1000..1000. */
  oomScoreAdj?: number;
  /** [v1.2.0] sched_setattr(2). */
  scheduler?: Scheduler;
  /** [v1.2.0] ioprio_set(2). */
  ioPriority?: LinuxIOPriority;
  /** [v1.2.0] CPU affinity for `exec`'d processes. */
  execCPUAffinity?: ExecCPUAffinity;
  selinuxLabel?: string;
  user: User;
}

export interface Box {
  /** uint */
  height: number;
  /** uint */
  width: number;
}

export interface User {
  /** uint32, container namespace. */
  uid: number;
  /** uint32, container namespace. */
  gid: number;
  /** [v1.1.0] uint32 umask of the process. */
  umask?: number;
  /** uint32 each. */
  additionalGids?: number[];
  /** Windows only. */
  username?: string;
}

/** One setrlimit(2) call: type is an RLIMIT_* name. */
export interface POSIXRlimit {
  type: string;
  /** uint64 */
  soft: number;
  /** uint64 */
  hard: number;
}

/** Capability names like "CAP_CHOWN" for each set (capabilities(7)). */
export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export type SchedulerPolicy =
  | 'SCHED_OTHER' | 'SCHED_FIFO' | 'SCHED_RR' | 'SCHED_BATCH' | 'SCHED_ISO' | 'SCHED_IDLE' | 'SCHED_DEADLINE';
export type SchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK' | 'SCHED_FLAG_RECLAIM' | 'SCHED_FLAG_DL_OVERRUN' | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS' | 'SCHED_FLAG_UTIL_CLAMP_MIN' | 'SCHED_FLAG_UTIL_CLAMP_MAX';

export interface Scheduler {
  policy: SchedulerPolicy;
  /** int32 */
  nice?: number;
  /** int32 */
  priority?: number;
  flags?: SchedulerFlag[];
  /** uint64 nanoseconds (SCHED_DEADLINE). */
  runtime?: number;
  deadline?: number;
  period?: number;
}

export type IOPriorityClass = 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';
export interface LinuxIOPriority {
  class: IOPriorityClass;
  /** 0..7 */
  priority: number;
}

/** CPU lists like "0-3,7": `initial` for the exec'd process before joining the cgroup, `final` after. */
export interface ExecCPUAffinity {
  initial?: string;
  final?: string;
}

// ---------------------------------------------------------------------------------------------
// Hooks (config.md "POSIX-platform Hooks")
// ---------------------------------------------------------------------------------------------

export interface Hook {
  /** Absolute path on the host (runtime namespace). */
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds, > 0. */
  timeout?: number;
}

export type HookPhase = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export interface Hooks {
  /** Deprecated in favour of createRuntime/createContainer/startContainer. */
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

// ---------------------------------------------------------------------------------------------
// config-linux.md
// ---------------------------------------------------------------------------------------------

export interface Linux {
  namespaces?: LinuxNamespace[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  /** [v1.1.0] clock name ("monotonic", "boottime") -> offset; needs a time namespace. */
  timeOffsets?: Record<string, LinuxTimeOffset>;
  devices?: LinuxDevice[];
  /** [v1.3.0] host interface name -> settings inside the container's network namespace. */
  netDevices?: Record<string, LinuxNetDevice>;
  cgroupsPath?: string;
  resources?: LinuxResources;
  intelRdt?: LinuxIntelRdt;
  /** key ("net.ipv4.ip_forward") -> value, written to /proc/sys in the container. */
  sysctl?: Record<string, string>;
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: RootfsPropagation;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: LinuxPersonality;
  /** [v1.3.0] set_mempolicy(2) for the container process. */
  memoryPolicy?: LinuxMemoryPolicy;
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface LinuxNamespace {
  type: NamespaceType;
  /** Absolute path of a namespace file to join; absent = create a new namespace. */
  path?: string;
}

export interface LinuxIDMapping {
  /** uint32 */
  containerID: number;
  /** uint32 */
  hostID: number;
  /** uint32 */
  size: number;
}

export interface LinuxTimeOffset {
  /** int64 */
  secs?: number;
  /** uint32 */
  nanosecs?: number;
}

export type DeviceType = 'c' | 'b' | 'u' | 'p';
export interface LinuxDevice {
  type: DeviceType;
  /** Full path inside the container. */
  path: string;
  /** int64; required unless type is "p". */
  major?: number;
  minor?: number;
  /** uint32 permission bits (decimal in JSON). */
  fileMode?: number;
  /** uint32, container namespace. */
  uid?: number;
  gid?: number;
}

export interface LinuxNetDevice {
  /** New name inside the container; may end in "%d" (kernel picks the number). */
  name?: string;
}

export type RootfsPropagation = 'shared' | 'slave' | 'private' | 'unbindable' | 'rshared' | 'rslave' | 'rprivate' | 'runbindable';

export type PersonalityDomain = 'LINUX' | 'LINUX32';
export interface LinuxPersonality {
  domain: PersonalityDomain;
  flags?: string[];
}

export type MemoryPolicyMode =
  | 'MPOL_DEFAULT' | 'MPOL_BIND' | 'MPOL_INTERLEAVE' | 'MPOL_WEIGHTED_INTERLEAVE' | 'MPOL_PREFERRED'
  | 'MPOL_PREFERRED_MANY' | 'MPOL_LOCAL';
export type MemoryPolicyFlag = 'MPOL_F_NUMA_BALANCING' | 'MPOL_F_RELATIVE_NODES' | 'MPOL_F_STATIC_NODES';
export interface LinuxMemoryPolicy {
  mode: MemoryPolicyMode;
  /** Node list like "0-3,7". */
  nodes?: string;
  flags?: MemoryPolicyFlag[];
}

export interface LinuxIntelRdt {
  /** "/" = the root (default) CLOS [v1.3.0]. */
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  /** [v1.3.0] extra schemata lines, one per entry. */
  schemata?: string[];
  /** [v1.3.0] create a monitoring group. */
  enableMonitoring?: boolean;
  /** v1.1.0..v1.2.1, replaced by enableMonitoring. */
  enableCMT?: boolean;
  enableMBM?: boolean;
}

// --- cgroups: linux.resources -----------------------------------------------------------------

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  /** device name -> limits */
  rdma?: Record<string, LinuxRdma>;
  /** [v1.1.0] cgroup v2 file name -> value. */
  unified?: Record<string, string>;
}

/** One rule of the device allow-list (cgroup v1 devices.allow/deny, v2 eBPF). */
export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a" | "c" | "b"; unset = "a". */
  type?: 'a' | 'c' | 'b';
  /** int64; unset or -1 = all ("*"). */
  major?: number;
  minor?: number;
  /** Combination of "r", "w", "m". */
  access?: string;
}

/** Bytes; -1 = unlimited. */
export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  /** NOT RECOMMENDED */
  kernel?: number;
  /** NOT RECOMMENDED */
  kernelTCP?: number;
  /** 0..100 */
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  /** uint64 */
  shares?: number;
  /** int64 microseconds */
  quota?: number;
  /** uint64 microseconds [v1.1.0] */
  burst?: number;
  /** uint64 microseconds */
  period?: number;
  /** int64 */
  realtimeRuntime?: number;
  /** uint64 */
  realtimePeriod?: number;
  /** CPU list "0-3,7" */
  cpus?: string;
  /** memory node list */
  mems?: string;
  /** int64, [v1.1.0] 0 or 1 */
  idle?: number;
}

export interface LinuxPids {
  /** int64; -1 (or 0 in some runtimes' readings) = max. */
  limit: number;
}

export interface LinuxBlockIODevice {
  /** int64 */
  major: number;
  /** int64 */
  minor: number;
}
export interface LinuxWeightDevice extends LinuxBlockIODevice {
  /** uint16 */
  weight?: number;
  leafWeight?: number;
}
export interface LinuxThrottleDevice extends LinuxBlockIODevice {
  /** uint64 */
  rate: number;
}
export interface LinuxBlockIO {
  /** uint16, 10..1000 */
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** "<n>{KB,MB,GB}" */
  pageSize: string;
  /** uint64 bytes */
  limit: number;
}

export interface LinuxInterfacePriority {
  name: string;
  /** uint32 */
  priority: number;
}
export interface LinuxNetwork {
  /** uint32 */
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxRdma {
  /** uint32 */
  hcaHandles?: number;
  /** uint32 */
  hcaObjects?: number;
}

// --- seccomp -------------------------------------------------------------------------------------

export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE' | 'SCMP_ACT_ALLOW' | 'SCMP_ACT_LOG' | 'SCMP_ACT_NOTIFY';
export type SeccompOperator =
  | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';
export type SeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC' | 'SECCOMP_FILTER_FLAG_LOG' | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

export interface LinuxSeccomp {
  defaultAction: SeccompAction;
  /** uint32 [v1.1.0] */
  defaultErrnoRet?: number;
  /** SCMP_ARCH_* names */
  architectures?: string[];
  flags?: SeccompFlag[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}
export interface LinuxSyscall {
  names: string[];
  action: SeccompAction;
  /** uint32 */
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}
export interface LinuxSeccompArg {
  /** uint */
  index: number;
  /** uint64 */
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

// ---------------------------------------------------------------------------------------------
// runtime.md "State"
// ---------------------------------------------------------------------------------------------

export type ContainerStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Host pid of the container process; required when created or running. */
  pid?: number;
  /** Absolute path of the bundle directory. */
  bundle: string;
  annotations?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// features.md / features-linux.md: `tsrun features` output
// ---------------------------------------------------------------------------------------------

export interface Features {
  /** Lowest ociVersion the runtime accepts (REQUIRED). */
  ociVersionMin: string;
  /** Highest ociVersion the runtime accepts (REQUIRED). */
  ociVersionMax: string;
  /** Hook phases the runtime recognizes. */
  hooks?: string[];
  mountOptions?: string[];
  annotations?: Record<string, string>;
  /** [v1.2.0] annotation keys (or key prefixes ending in ".") that may change behaviour unsafely. */
  potentiallyUnsafeConfigAnnotations?: string[];
  linux?: LinuxFeatures;
}

export interface LinuxFeatures {
  namespaces?: string[];
  capabilities?: string[];
  cgroup?: { v1?: boolean; v2?: boolean; systemd?: boolean; systemdUser?: boolean; rdma?: boolean };
  seccomp?: {
    enabled?: boolean;
    actions?: string[];
    operators?: string[];
    archs?: string[];
    knownFlags?: string[];
    supportedFlags?: string[];
  };
  apparmor?: { enabled?: boolean };
  selinux?: { enabled?: boolean };
  /** schemata: linux.intelRdt.schemata is implemented; monitoring: enableMonitoring is (specs-go/features). */
  intelRdt?: { enabled?: boolean; schemata?: boolean; monitoring?: boolean };
  mountExtensions?: { idmap?: { enabled?: boolean } };
  /** [v1.3.0] */
  memoryPolicy?: { modes?: string[]; flags?: string[] };
  /** [v1.3.0] */
  netDevices?: { enabled?: boolean };
}
