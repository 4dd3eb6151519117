// Semantic checks on a schema-valid config.json: the rules of runtime-spec v1.3.0 that JSON Schema
// cannot express (absolute paths, cross-field requirements, duplicates), plus the ones runc applies
// in libcontainer/configs/validate/validator.go (hostname vs UTS namespace, sysctl vs namespaces,
// id mappings vs user namespace, masked paths vs mount namespace), and what a container without a
// mount namespace cannot have.
// Each check is small, named and pure (no filesystem access); it throws SpecError with the JSON
// pointer of the offending value. runSemanticChecks() runs them in table order.
import { FieldError, SpecError } from '../errors';
import { mapsId } from '../linux/id-maps';
import { ALL_RLIMIT_NAMES, rlimitResource } from '../security/rlimit-table';
import { planExecCpuAffinity } from '../security/cpu-affinity';
import { mempolicyArgs } from '../security/memory-policy';
import { personalityValue } from '../security/personality';
import type { LinuxNamespace, NamespaceType, Spec } from './types';
import { SPEC_MAJOR, SPEC_VERSION } from './version';

export interface SpecCheck {
  name: string;
  /**
   * Judges the container as a whole (which namespaces it has), so it does not apply to a process
   * checked alone (`tsrun exec`, validate-process.ts), whose minimal config lists none.
   */
  wholeConfig?: boolean;
  check(spec: Spec): void;
}

/** Escapes one JSON-pointer reference token (RFC 6901: "~" -> "~0", "/" -> "~1"). */
function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function namespaceOf(spec: Spec, type: NamespaceType): LinuxNamespace | undefined {
  return spec.linux?.namespaces?.find((ns) => ns.type === type);
}
function hasNamespace(spec: Spec, type: NamespaceType): boolean {
  return namespaceOf(spec, type) !== undefined;
}

/** SemVer 2.0.0 (semver.org), the format config.md requires for ociVersion. */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** linux.rootfsPropagation: the spec lists the first four; runc also accepts the recursive forms. */
const ROOTFS_PROPAGATIONS: readonly string[] = [
  'shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable',
];

/** IPC-namespaced sysctls (runc's validSysctlMap; ipc_namespaces(7)); fs.mqueue.* is matched by prefix. */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

/** Clocks a time namespace can offset (time_namespaces(7): /proc/PID/timens_offsets). */
const TIME_CLOCKS = new Set(['monotonic', 'boottime']);

/** (uid_t)-1 / (gid_t)-1: setresuid(2) and setgroups read it as "leave unchanged", never as an id. */
const ID_UNCHANGED = 4294967295;

/**
 * sysctl(8) accepts "/" as the separator too ("net/ipv4/ip_forward"); when the first separator is
 * "/", swap the two so the key can be matched in dotted form (as runc does).
 */
export function normalizeSysctlKey(key: string): string {
  const first = key.search(/[./]/);
  if (first === -1 || key[first] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

function requireAbsolute(path: string, pointer: string): void {
  if (!path.startsWith('/')) throw new SpecError(pointer, `must be an absolute path, got "${path}"`);
}

export const CHECKS: readonly SpecCheck[] = [
  {
    // config.md: ociVersion MUST be SemVer; tsrun implements the 1.x series (compatible within a major).
    name: 'oci-version',
    check(spec) {
      const m = SEMVER.exec(spec.ociVersion);
      if (!m) throw new SpecError('/ociVersion', `must be a SemVer version like "${SPEC_VERSION}", got "${spec.ociVersion}"`);
      if (m[1] !== SPEC_MAJOR) throw new SpecError('/ociVersion', `tsrun supports runtime-spec ${SPEC_MAJOR}.x, got "${spec.ociVersion}"`);
    },
  },
  {
    // config.md Annotations: keys MUST NOT be an empty string.
    name: 'annotation-keys',
    check(spec) {
      if (spec.annotations && Object.prototype.hasOwnProperty.call(spec.annotations, '')) {
        throw new SpecError('/annotations', 'keys must not be empty');
      }
    },
  },
  {
    // config.md Process: cwd MUST be an absolute path inside the container.
    name: 'process-cwd-absolute',
    check(spec) {
      if (spec.process) requireAbsolute(spec.process.cwd, '/process/cwd');
    },
  },
  {
    // setresuid(2)/setgroups(2): -1 means "unchanged", so 4294967295 cannot name a user or group.
    name: 'process-user-ids',
    check(spec) {
      const user = spec.process?.user;
      if (!user) return;
      if (user.uid === ID_UNCHANGED) throw new SpecError('/process/user/uid', 'must be below 4294967295 ((uid_t)-1)');
      if (user.gid === ID_UNCHANGED) throw new SpecError('/process/user/gid', 'must be below 4294967295 ((gid_t)-1)');
      user.additionalGids?.forEach((gid, i) => {
        if (gid === ID_UNCHANGED) throw new SpecError(`/process/user/additionalGids/${i}`, 'must be below 4294967295 ((gid_t)-1)');
      });
    },
  },
  {
    // config.md rlimits: type is a getrlimit(2) resource; duplicated types MUST be an error;
    // setrlimit(2) fails with EINVAL when soft exceeds hard, so refuse that before create.
    name: 'process-rlimits',
    check(spec) {
      const seen = new Map<string, number>();
      spec.process?.rlimits?.forEach((rl, i) => {
        const at = `/process/rlimits/${i}`;
        // The getrlimit(2) resource names, from the table the init stage uses for setrlimit.
        if (rlimitResource(rl.type) === undefined) {
          throw new SpecError(`${at}/type`, `unknown rlimit "${rl.type}" (expected one of ${ALL_RLIMIT_NAMES.join(', ')})`);
        }
        const prev = seen.get(rl.type);
        if (prev !== undefined) throw new SpecError(`${at}/type`, `duplicate rlimit ${rl.type} (also at /process/rlimits/${prev})`);
        seen.set(rl.type, i);
        if (rl.soft > rl.hard) throw new SpecError(`${at}/soft`, `soft limit ${rl.soft} exceeds hard limit ${rl.hard}`);
      });
    },
  },
  {
    // config.md Mounts: destination is a path inside the container (relative is deprecated but allowed).
    name: 'mount-destination',
    check(spec) {
      spec.mounts?.forEach((m, i) => {
        if (m.destination === '') throw new SpecError(`/mounts/${i}/destination`, 'must not be empty');
      });
    },
  },
  {
    // config-linux.md Namespaces: duplicated types MUST be an error; path MUST be absolute.
    name: 'namespaces',
    check(spec) {
      const seen = new Map<string, number>();
      spec.linux?.namespaces?.forEach((ns, i) => {
        const prev = seen.get(ns.type);
        if (prev !== undefined) {
          throw new SpecError(`/linux/namespaces/${i}/type`, `duplicate namespace type "${ns.type}" (also at /linux/namespaces/${prev})`);
        }
        seen.set(ns.type, i);
        if (ns.path !== undefined) requireAbsolute(ns.path, `/linux/namespaces/${i}/path`);
      });
    },
  },
  {
    // config-linux.md Namespaces: a type not listed is inherited from the runtime, so without a
    // "mount" entry the container shares the runtime's (the host's) mount table. tsrun then makes
    // no mount at all and enters root.path with chroot(2) (src/linux/pivot.ts chrootInto says
    // what runc does instead: its default mounts are left on the host). Everything that needs a
    // mount is refused here, before anything exists: every `mounts` entry, the masked and
    // read-only paths (runc refuses those too: "unable to restrict sys entries without a private
    // MNT namespace"), a read-only root (a remount of the host mount holding root.path), a root
    // propagation (a propagation change of that host mount), and a terminal (runtime-linux.md
    // /dev/console is a bind mount of the pty). The LSM exec labels are written to
    // /proc/thread-self after the root is entered, and this root has no /proc.
    name: 'no-mount-namespace',
    wholeConfig: true,
    check(spec) {
      if (hasNamespace(spec, 'mount')) return;
      const hostTable = "would change the host's own mount table (no mount namespace in linux.namespaces)";
      const first = spec.mounts?.[0];
      if (first) throw new SpecError('/mounts/0', `mounting ${first.source || first.type || 'a filesystem'} at ${first.destination} ${hostTable}`);
      for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
        if (spec.linux?.[field]?.length) throw new SpecError(`/linux/${field}`, `mounting over these paths ${hostTable}`);
      }
      if (spec.root?.readonly) throw new SpecError('/root/readonly', `remounting the root read-only ${hostTable}`);
      if (spec.linux?.rootfsPropagation) throw new SpecError('/linux/rootfsPropagation', `changing the root's propagation ${hostTable}`);
      if (spec.process?.terminal) {
        throw new SpecError('/process/terminal', `binding the pty onto /dev/console (runtime-linux.md) ${hostTable}`);
      }
      for (const field of ['apparmorProfile', 'selinuxLabel'] as const) {
        if (spec.process?.[field]) {
          throw new SpecError(`/process/${field}`, 'cannot be applied without a mount namespace: tsrun writes it to /proc/thread-self after entering the root, which has no /proc here');
        }
      }
    },
  },
  {
    // config.md Hostname/Domainname: only settable in a UTS namespace (new or joined); runc:
    // "unable to set hostname without a private UTS namespace".
    name: 'uts-namespace',
    check(spec) {
      for (const field of ['hostname', 'domainname'] as const) {
        if (spec[field] && !hasNamespace(spec, 'uts')) {
          throw new SpecError(`/${field}`, `cannot be set without a UTS namespace (add {"type": "uts"} to linux.namespaces)`);
        }
      }
    },
  },
  {
    // config-linux.md User namespace mappings only make sense with a user namespace (runc:
    // "User namespace mappings specified, but USER namespace isn't enabled in the config").
    name: 'id-mappings-need-user-namespace',
    check(spec) {
      if (hasNamespace(spec, 'user')) return;
      for (const field of ['uidMappings', 'gidMappings'] as const) {
        if (spec.linux?.[field] !== undefined) {
          throw new SpecError(`/linux/${field}`, 'needs a user namespace (linux.namespaces has no "user" entry)');
        }
      }
    },
  },
  {
    // config-linux.md User namespace mappings. A new user namespace starts with no mapping, and
    // tsrun's trampoline becomes root in it before it execs the init stage (an execve(2) by any
    // other id drops every capability, capabilities(7)): so both maps are required and must map
    // id 0. The process's own ids must be mapped too, or setresuid(2)/setgroups(2) fail with
    // EINVAL. A joined namespace's maps were written by whoever made it (they can be written only
    // once, user_namespaces(7)), so maps in the config would be a request tsrun cannot apply.
    name: 'user-namespace-mappings',
    check(spec) {
      const user = namespaceOf(spec, 'user');
      if (!user) return;
      const at = `/linux/namespaces/${spec.linux?.namespaces?.indexOf(user)}`;
      // Device nodes are bind-mounted in a user namespace (devices.ts bindDevice); without a mount
      // namespace of its own the container has no mount table to bind them in, and mknod(2)
      // fails there.
      if (!hasNamespace(spec, 'mount')) throw new SpecError(at, 'a user namespace needs a mount namespace in tsrun (add {"type": "mount"} to linux.namespaces)');
      for (const field of ['uidMappings', 'gidMappings'] as const) {
        const maps = spec.linux?.[field];
        if (user.path !== undefined) {
          if (maps?.length) throw new SpecError(`/linux/${field}`, `cannot be applied to the joined user namespace ${user.path} (its maps are already written); leave it out`);
          continue;
        }
        if (!maps?.length) throw new SpecError(`/linux/${field}`, `is required with a new user namespace (${at})`);
        // user_namespaces(7): at most 340 lines per map since Linux 4.15.
        if (maps.length > 340) throw new SpecError(`/linux/${field}`, `has ${maps.length} ranges; the kernel takes at most 340`);
        maps.forEach((m, i) => {
          if (m.size < 1) throw new SpecError(`/linux/${field}/${i}/size`, 'must be at least 1');
        });
        const kind = field === 'uidMappings' ? 'uid' : 'gid';
        if (!mapsId(maps, 0)) throw new SpecError(`/linux/${field}`, `must map container ${kind} 0 (tsrun's init stage runs as root in the user namespace)`);
        const u = spec.process?.user;
        const ids = !u ? [] : kind === 'uid' ? [['/process/user/uid', u.uid] as const] : [['/process/user/gid', u.gid] as const, ...(u.additionalGids ?? []).map((g, i) => [`/process/user/additionalGids/${i}`, g] as const)];
        for (const [ptr, id] of ids) {
          if (!mapsId(maps, id)) throw new SpecError(ptr, `${kind} ${id} is not mapped by linux.${field}`);
        }
      }
    },
  },
  {
    // config.md Mounts, uidMappings/gidMappings [v1.1.0] and the idmap/ridmap options [v1.2.0].
    name: 'idmapped-mounts',
    check(spec) {
      const userNs = hasNamespace(spec, 'user');
      spec.mounts?.forEach((m, i) => {
        const idmapOpt = m.options?.find((o) => o === 'idmap' || o === 'ridmap');
        // Empty arrays count as absent: "allow empty mappings for [r]idmap" (runtime-spec #1224).
        const uid = !!m.uidMappings?.length;
        const gid = !!m.gidMappings?.length;
        // "If specified, it MUST be specified along with gidMappings" (and the other way round).
        if (uid !== gid) throw new SpecError(`/mounts/${i}/${uid ? 'gidMappings' : 'uidMappings'}`, `is required with ${uid ? 'uidMappings' : 'gidMappings'} (config.md: both or neither)`);
        // "If there are no uidMappings and gidMappings specified and the container isn't using
        // user namespaces, an error MUST be returned." With one (new or joined), its mapping is
        // used, as the spec allows (src/launcher/parent/idmap-trees.ts).
        if (idmapOpt && !uid && !userNs) {
          throw new SpecError(`/mounts/${i}/options`, `"${idmapOpt}" needs uidMappings/gidMappings on the mount or a user namespace in linux.namespaces`);
        }
        // runc's rule too ("not yet supported to use gidMappings/uidMappings in a mount without
        // also using a user namespace"): an id-mapped mount is for a container whose ids differ
        // from the host's.
        if (uid && !userNs) throw new SpecError(`/mounts/${i}`, 'id-mapped mounts (uidMappings/gidMappings) need a user namespace');
        for (const field of ['uidMappings', 'gidMappings'] as const) {
          m[field]?.forEach((r, j) => {
            if (r.size < 1) throw new SpecError(`/mounts/${i}/${field}/${j}/size`, 'must be at least 1');
          });
        }
      });
    },
  },
  {
    // config-linux.md timeOffsets: the offsets of a *new* time namespace (time_namespaces(7): they
    // can only be written before a process enters it, so a joined namespace cannot take them).
    name: 'time-offsets',
    check(spec) {
      const offsets = spec.linux?.timeOffsets;
      if (!offsets || Object.keys(offsets).length === 0) return;
      const timeNs = namespaceOf(spec, 'time');
      if (!timeNs) throw new SpecError('/linux/timeOffsets', 'needs a time namespace (linux.namespaces has no "time" entry)');
      if (timeNs.path !== undefined) throw new SpecError('/linux/timeOffsets', 'cannot be set when joining an existing time namespace');
      for (const clock of Object.keys(offsets)) {
        if (!TIME_CLOCKS.has(clock)) {
          throw new SpecError(`/linux/timeOffsets/${pointerToken(clock)}`, 'unknown clock (expected monotonic or boottime)');
        }
      }
    },
  },
  {
    // /proc/sys is only partly namespaced: runc's sysctl rules. net.* needs a network namespace,
    // the IPC ones an ipc namespace, kernel.domainname a UTS namespace; kernel.hostname conflicts
    // with the hostname field; everything else would change the host.
    name: 'sysctl',
    check(spec) {
      for (const rawKey of Object.keys(spec.linux?.sysctl ?? {})) {
        const key = normalizeSysctlKey(rawKey);
        const at = `/linux/sysctl/${pointerToken(rawKey)}`;
        if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
          if (!hasNamespace(spec, 'ipc')) throw new SpecError(at, 'needs an ipc namespace (not allowed in the host ipc namespace)');
          continue;
        }
        if (key.startsWith('net.')) {
          if (!hasNamespace(spec, 'network')) throw new SpecError(at, 'needs a network namespace (not allowed in the host network namespace)');
          continue;
        }
        if (key === 'kernel.domainname' && hasNamespace(spec, 'uts')) continue;
        if (key === 'kernel.hostname' && hasNamespace(spec, 'uts')) throw new SpecError(at, 'conflicts with the "hostname" field; set that instead');
        throw new SpecError(at, 'is not in a separate kernel namespace (it would change the host)');
      }
    },
  },
  {
    // config-linux.md Devices: path is a full path in the container; major/minor REQUIRED unless type p.
    name: 'devices',
    check(spec) {
      spec.linux?.devices?.forEach((d, i) => {
        const at = `/linux/devices/${i}`;
        requireAbsolute(d.path, `${at}/path`);
        if (d.type !== 'p') {
          for (const f of ['major', 'minor'] as const) {
            if (d[f] === undefined) throw new SpecError(`${at}/${f}`, `is required for a device of type "${d.type}"`);
          }
        }
      });
    },
  },
  {
    // config-linux.md maskedPaths/readonlyPaths: absolute paths in the container (without a mount
    // namespace they are refused by no-mount-namespace, above).
    name: 'masked-and-readonly-paths',
    check(spec) {
      for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
        spec.linux?.[field]?.forEach((p, i) => requireAbsolute(p, `/linux/${field}/${i}`));
      }
    },
  },
  {
    name: 'rootfs-propagation',
    check(spec) {
      // Typed as string: before this check it may hold anything the schema let through.
      const p: string | undefined = spec.linux?.rootfsPropagation;
      if (p !== undefined && p !== '' && !ROOTFS_PROPAGATIONS.includes(p)) {
        throw new SpecError('/linux/rootfsPropagation', `must be one of ${ROOTFS_PROPAGATIONS.join(', ')}, got "${p}"`);
      }
    },
  },
  {
    // config.md Scheduler, with runc's validator rules (libcontainer/configs/validate): nice in
    // -20..19; priority only for the real-time policies, where sched(7) wants 1..99;
    // runtime/deadline/period only for SCHED_DEADLINE. What only the kernel can judge (SCHED_ISO,
    // deadline admission) fails in the init stage with the kernel's errno.
    name: 'process-scheduler',
    check(spec) {
      const s = spec.process?.scheduler;
      if (!s) return;
      const at = '/process/scheduler';
      if (s.nice !== undefined && (s.nice < -20 || s.nice > 19)) throw new SpecError(`${at}/nice`, `must be between -20 and 19, got ${s.nice}`);
      const realtime = s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR';
      if (realtime && (s.priority === undefined || s.priority < 1 || s.priority > 99)) {
        throw new SpecError(`${at}/priority`, `must be between 1 and 99 for ${s.policy} (sched(7)), got ${s.priority ?? 'none'}`);
      }
      if (!realtime && s.priority) throw new SpecError(`${at}/priority`, `can only be set for SCHED_FIFO or SCHED_RR, not ${s.policy}`);
      if (s.policy !== 'SCHED_DEADLINE') {
        for (const f of ['runtime', 'deadline', 'period'] as const) {
          if (s[f]) throw new SpecError(`${at}/${f}`, `can only be set for SCHED_DEADLINE, not ${s.policy}`);
        }
      }
    },
  },
  {
    // config.md I/O Priority: "priority ... the value within the class", 0 (highest) to 7
    // (ioprio_set(2)); runc's validator refuses anything else.
    name: 'process-io-priority',
    check(spec) {
      const p = spec.process?.ioPriority;
      if (p && p.priority !== undefined && (p.priority < 0 || p.priority > 7)) {
        throw new SpecError('/process/ioPriority/priority', `must be between 0 and 7, got ${p.priority}`);
      }
    },
  },
  {
    // config.md execCPUAffinity: CPU lists in cpuset(7) list format ("0-3,7"); a list that does
    // not parse is refused at create even though only `exec` uses it (runc validates it too).
    name: 'process-exec-cpu-affinity',
    check(spec) {
      const a = spec.process?.execCPUAffinity;
      if (!a) return;
      try {
        planExecCpuAffinity(a);
      } catch (e) {
        throw e instanceof FieldError ? e.at('/process/execCPUAffinity') : e;
      }
    },
  },
  {
    // config-linux.md Personality: domain LINUX or LINUX32; "Currently no flag values are
    // supported", so any flag is refused rather than dropped.
    name: 'linux-personality',
    check(spec) {
      const p = spec.linux?.personality;
      if (!p) return;
      try {
        personalityValue(p);
      } catch (e) {
        throw e instanceof FieldError ? e.at('/linux/personality') : e;
      }
    },
  },
  {
    // config-linux.md Memory policy: nodes in list format; the combinations set_mempolicy(2)
    // always refuses (nodes with MPOL_DEFAULT/MPOL_LOCAL, none with BIND/INTERLEAVE/...,
    // STATIC_NODES with RELATIVE_NODES) are refused here with the field's pointer.
    name: 'linux-memory-policy',
    check(spec) {
      const p = spec.linux?.memoryPolicy;
      if (!p) return;
      try {
        mempolicyArgs(p);
      } catch (e) {
        throw e instanceof FieldError ? e.at('/linux/memoryPolicy') : e;
      }
    },
  },
];

/**
 * The host half of runc's sysctl rule: net.* is allowed with a joined network namespace only when
 * that namespace is not the runtime's own ("sysctl ... not allowed in host network namespace").
 * `isHostNetns` tells whether a namespace path is the caller's (convert.ts stats nsfs inodes).
 */
export function refuseHostNetnsSysctls(spec: Spec, isHostNetns: (nsPath: string) => boolean): void {
  const netPath = namespaceOf(spec, 'network')?.path;
  if (!netPath || !isHostNetns(netPath)) return;
  for (const rawKey of Object.keys(spec.linux?.sysctl ?? {})) {
    if (normalizeSysctlKey(rawKey).startsWith('net.')) {
      throw new SpecError(`/linux/sysctl/${pointerToken(rawKey)}`, `is not allowed in the host network namespace (${netPath} is the runtime's own)`);
    }
  }
}

/** Runs every check in order (only those that apply to a process alone with processOnly); the first failure throws. */
export function runSemanticChecks(spec: Spec, opts: { processOnly?: boolean } = {}): void {
  for (const c of CHECKS) if (!(opts.processOnly && c.wholeConfig)) c.check(spec);
}
