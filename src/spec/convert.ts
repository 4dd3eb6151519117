// spec -> what the runtime acts on. After this point nothing reads raw config.json: the launcher
// gets namespace requests for its window and an InitConfig for the init stage (runc's specconv
// plays this role).
import { isRuntimeNamespace } from '../linux/ns-identity';
import path = require('node:path');
import { SpecError } from '../errors';
import { DEFAULT_DEVICES } from '../linux/devices';
import type { InitConfig, InitMount, InitMountIdmap, InitProcess } from '../stage-config/init-config';
import type { NsRequest, TimeOffsets } from '../stage-config/namespaces';
import { isImplementedNamespace } from '../linux/namespace-table';
import type { LinuxDevice, LinuxIDMapping, Spec } from './types';
import type { PropagationName } from '../linux/mount-options';
import { seccompFor } from './convert-seccomp';
import { labelMounts, lsmStatus, refuseUnavailableLsm, type LsmStatus } from '../security/lsm';
import { refuseHostNetnsSysctls } from './checks';

export interface Converted {
  nsRequests: NsRequest[];
  timeOffsets?: TimeOffsets;
  /** Does the container get a PID namespace of its own (new, not joined)? */
  ownPidNamespace: boolean;
  init: Omit<InitConfig, 'fifoPath' | 'preserveFds' | 'noPivot' | 'cgroupMount' | 'newKeyring' | 'consoleSocketFd'>;
}

/** The container's user namespace, as an id-mapped mount without mappings of its own uses it. */
type ContainerUserNs = { path: string } | { uidMappings: LinuxIDMapping[]; gidMappings: LinuxIDMapping[] } | undefined;

/**
 * config.md "Mounts": a mount with an idmap/ridmap option or mappings of its own is id-mapped
 * (runc does the same for mappings without the option, which the spec says SHOULD be there, and
 * maps only the top mount then); the mount's mappings when given, else the container's user
 * namespace (checks.ts idmapped-mounts has refused the case without one).
 */
function idmapOf(m: NonNullable<Spec['mounts']>[number], options: string[], userNs: ContainerUserNs): InitMountIdmap | undefined {
  const opt = options.filter((o) => o === 'idmap' || o === 'ridmap').pop();
  const own = !!m.uidMappings?.length && !!m.gidMappings?.length;
  if (!opt && !own) return undefined;
  const recursive = opt === 'ridmap';
  if (own) return { recursive, uidMappings: m.uidMappings, gidMappings: m.gidMappings };
  if (userNs && 'path' in userNs) return { recursive, usernsPath: userNs.path };
  if (userNs) return { recursive, uidMappings: userNs.uidMappings, gidMappings: userNs.gidMappings };
  throw new SpecError('/mounts', `"${opt}" needs uidMappings/gidMappings on the mount or a user namespace`);
}

function resolveMount(bundle: string, m: NonNullable<Spec['mounts']>[number], userNs: ContainerUserNs): InitMount {
  let options = m.options ?? [];
  // runc treats type "bind" as a bind even without a bind/rbind option (mount(2) has no "bind"
  // filesystem type: it would fail with ENODEV).
  if (m.type === 'bind' && !options.includes('bind') && !options.includes('rbind')) options = ['bind', ...options];
  const isBind = options.includes('bind') || options.includes('rbind');
  // config.md: a relative destination is deprecated and taken relative to "/".
  const destination = path.posix.resolve('/', m.destination);
  let source = m.source ?? '';
  // config.md: for bind mounts a relative source is relative to the bundle.
  if (isBind && source && !path.isAbsolute(source)) source = path.resolve(bundle, source);
  const idmap = idmapOf(m, options, userNs);
  return { destination, source, type: m.type ?? (isBind ? 'bind' : ''), options, ...(idmap ? { idmap } : {}) };
}

/**
 * sysfs in a user namespace without a network namespace of its own: mount(2) of sysfs needs
 * CAP_SYS_ADMIN over the network namespace the caller is in (sysfs shows its devices), and the
 * host's is owned by the initial user namespace, so the mount fails with EPERM. runc then
 * bind-mounts the host's /sys recursively instead; so does tsrun, with the entry's flags
 * (nosuid, noexec, nodev, ro, ...), which the bind's remount applies (mounts.ts).
 */
function sysfsAsBind(m: InitMount): InitMount {
  if (m.type !== 'sysfs') return m;
  return { ...m, type: 'bind', source: '/sys', options: ['rbind', ...m.options.filter((o) => o !== 'bind' && o !== 'rbind')] };
}

/** runtime-linux.md: runc's needsSetupDev: /dev is ours to populate unless the config binds one in. */
function needsSetupDev(mounts: InitMount[]): boolean {
  return !mounts.some((m) => m.destination === '/dev' && (m.options.includes('bind') || m.options.includes('rbind')));
}

function devicesFor(spec: Spec): LinuxDevice[] {
  const listed = spec.linux?.devices ?? [];
  const byPath = new Map<string, LinuxDevice>();
  for (const d of DEFAULT_DEVICES) byPath.set(d.path, d);
  for (const d of listed) byPath.set(path.posix.resolve('/', d.path), { ...d, path: path.posix.resolve('/', d.path) });
  return [...byPath.values()];
}

function callerUmask(): number {
  const u = process.umask(0o022);
  process.umask(u);
  return u;
}

export function processFor(spec: Spec): InitProcess | undefined {
  const p = spec.process;
  if (!p) return undefined;
  return {
    args: p.args,
    env: p.env ?? [],
    cwd: p.cwd,
    uid: p.user.uid,
    gid: p.user.gid,
    additionalGids: p.user.additionalGids ?? [],
    // config.md "umask": if unspecified, the umask should not be changed from the calling
    // process' umask. The init stage sets its own, so it is told the caller's.
    umask: p.user.umask ?? callerUmask(),
    rlimits: p.rlimits ?? [],
    capabilities: p.capabilities,
    noNewPrivileges: p.noNewPrivileges ?? false,
    scheduler: p.scheduler,
    ioPriority: p.ioPriority,
    // Empty strings mean "no label" (config.md gives no meaning to ""; runc skips them too).
    apparmorProfile: p.apparmorProfile || undefined,
    selinuxLabel: p.selinuxLabel || undefined,
    // execCPUAffinity is for `exec`'d processes only (src/security/cpu-affinity.ts): not here.
    terminal: p.terminal ?? false,
    consoleSize: consoleSizeFor(p.consoleSize),
  };
}

/**
 * process.consoleSize (config.md: "the console size in characters of the terminal"). struct
 * winsize holds unsigned shorts (ioctl_tty(2)); runc truncates larger values silently, tsrun
 * refuses them (config.md: invalid values MUST be an error). Ignored without a terminal.
 */
function consoleSizeFor(size: { height: number; width: number } | undefined): InitProcess['consoleSize'] {
  if (!size) return undefined;
  for (const k of ['height', 'width'] as const) {
    if (size[k] > 0xffff) throw new SpecError(`/process/consoleSize/${k}`, `${size[k]} does not fit a terminal size (at most 65535)`);
  }
  return { height: size.height, width: size.width };
}

/** Is the namespace file at `nsPath` the namespace this process is in (same nsfs inode)? */
function isOwnNamespace(nsPath: string, type: string): boolean {
  try {
    return isRuntimeNamespace(nsPath, type);
  } catch {
    return false; // joining it fails later, with the path in the message
  }
}

/**
 * `rootfs`: the resolved (realpath) root filesystem from loadBundleConfig; mount-point checks rely
 * on it. `lsm`: which LSMs the host runs (read from the host unless a test says otherwise).
 * `inUserNs`: tsrun itself runs in a user namespace other than the initial one (rootless podman's
 * runtime, src/linux/userns.ts), which then limits it as a user namespace of the config's would:
 * devices bound, not made; /sys bound without a network namespace of its own.
 */
export function convertSpec(spec: Spec, id: string, bundle: string, rootfsReal?: string, lsm: LsmStatus = lsmStatus(), inUserNs = false): Converted {
  const linux = spec.linux ?? {};
  // Host facts the pure checks of checks.ts cannot see: a joined network namespace that is the
  // host's own (runc: "sysctl ... not allowed in host network namespace"), and LSM labels for a
  // security module the host does not run.
  refuseHostNetnsSysctls(spec, (p) => isOwnNamespace(p, 'net'));
  refuseUnavailableLsm(spec, lsm);
  const namespaces = linux.namespaces ?? [];
  const nsRequests: NsRequest[] = [];
  let newCgroupNs = false;
  namespaces.forEach((ns, i) => {
    // Only the types of the namespace table (src/linux/namespace-table.ts, which `features` lists).
    if (!isImplementedNamespace(ns.type)) throw new SpecError(`/linux/namespaces/${i}`, `${ns.type} namespaces are not supported by tsrun yet`, 'unsupported');
    if (ns.type === 'cgroup' && !ns.path) {
      newCgroupNs = true;
      return;
    }
    if (ns.type === 'user' && !ns.path) {
      // checks.ts user-namespace-mappings has made sure both maps are there and map id 0.
      nsRequests.push({ type: 'user', uidMappings: linux.uidMappings ?? [], gidMappings: linux.gidMappings ?? [] });
      return;
    }
    nsRequests.push({ type: ns.type, path: ns.path || undefined });
  });
  const userNs = inUserNs || nsRequests.some((r) => r.type === 'user');
  const newNetNs = nsRequests.some((r) => r.type === 'network' && !r.path);
  // Without a "mount" entry the container shares the runtime's mount namespace (config-linux.md
  // Namespaces): checks.ts no-mount-namespace has refused whatever would need a mount, and the
  // init stage enters the root with chroot(2) instead of pivot_root(2). A *joined* mount namespace
  // that is the runtime's own is the same sharing in disguise, but tsrun would build the rootfs in
  // it as if it were private: propagation changed, mounts made and pivot_root(2) run in the host's
  // mount table (pivot_root moves the root of every process of the namespace). Refused.
  const mountIndex = namespaces.findIndex((n) => n.type === 'mount');
  const mountPath = namespaces[mountIndex]?.path;
  if (mountPath && isOwnNamespace(mountPath, 'mnt')) {
    throw new SpecError(`/linux/namespaces/${mountIndex}/path`, `${mountPath} is the runtime's own mount namespace: tsrun would mount and pivot_root in the host's mount table (leave "mount" out of linux.namespaces to share it)`);
  }
  const rootPath = spec.root?.path;
  if (!rootPath) throw new SpecError('/root/path', 'is required');
  const rootfs = rootfsReal ?? path.resolve(bundle, rootPath);
  const userEntry = namespaces.find((n) => n.type === 'user');
  const containerUserNs: ContainerUserNs = !userEntry ? undefined : userEntry.path ? { path: userEntry.path }
    : { uidMappings: linux.uidMappings ?? [], gidMappings: linux.gidMappings ?? [] };
  let mounts = labelMounts((spec.mounts ?? []).map((m) => resolveMount(bundle, m, containerUserNs)), linux.mountLabel);
  if (userNs && !newNetNs) mounts = mounts.map(sysfsAsBind);
  return {
    nsRequests,
    timeOffsets: linux.timeOffsets as TimeOffsets | undefined,
    ownPidNamespace: namespaces.some((n) => n.type === 'pid' && !n.path),
    init: {
      id,
      rootfs,
      readonlyRoot: spec.root?.readonly ?? false,
      rootfsPropagation: linux.rootfsPropagation as PropagationName | undefined,
      ownMountNs: mountIndex >= 0,
      userNs,
      newCgroupNs,
      mounts,
      devices: devicesFor(spec),
      setupDev: needsSetupDev(mounts),
      maskedPaths: linux.maskedPaths ?? [],
      readonlyPaths: linux.readonlyPaths ?? [],
      hostname: spec.hostname,
      domainname: spec.domainname,
      sysctl: linux.sysctl ?? {},
      personality: linux.personality,
      memoryPolicy: linux.memoryPolicy,
      process: processFor(spec),
      seccomp: seccompFor(spec, id, bundle),
    },
  };
}
