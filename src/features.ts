// The features document (runtime-spec features.md, features-linux.md): what this build of tsrun
// supports. Every item is read from the code that implements it, so the document cannot drift
// from the runtime (test/unit/features.test.ts fails if it does):
//   namespaces      the namespace table the converter accepts (src/linux/namespace-table.ts);
//   mountOptions    the option table (src/linux/mount-options.ts);
//   cgroup.rdma     the v1 and v2 controller lists of the managers;
//   capabilities, hooks, memoryPolicy, seccomp: the tables the runtime resolves names with;
//   intelRdt, netDevices, idmap mounts: what validation refuses (src/spec/unsupported.ts).
// The keys are those of runc's `runc features` (runc features.go; runtime-spec specs-go/features).
import { KNOWN_MOUNT_OPTIONS } from './linux/mount-options';
import { NAMESPACE_TABLE } from './linux/namespace-table';
import { ALL_CAP_NAMES } from './security/capability-table';
import { lsmStatus } from './security/lsm';
import { MPOL_FLAGS, MPOL_MODES } from './security/memory-policy';
import { seccompFeatures, libseccompVersion } from './security/seccomp-features';
import { V1_CONTROLLERS } from './cgroups/v1/manager';
import { v2Controllers } from './cgroups/v2/manager';
import { refuseUnsupported } from './spec/unsupported';
import type { Features, Spec } from './spec/types';
import { ALL_PHASES } from './hooks/names';
import { SPEC_VERSION, SPEC_VERSION_MIN } from './spec/version';

/** Does validation take `fields` (merged into a minimal config), or refuse them as unsupported? */
function notRefused(fields: Partial<Spec>): boolean {
  try {
    refuseUnsupported({ ociVersion: SPEC_VERSION, root: { path: 'rootfs' }, ...fields } as Spec);
    return true;
  } catch {
    return false;
  }
}

/** Is the spec field at `pointer` implemented by one of `controllers`? */
function implemented(controllers: readonly { pointer: string }[], pointer: string): boolean {
  return controllers.some((c) => c.pointer === pointer);
}

/** runc's annotation key for the libseccomp version (runc types/features/features.go). */
const ANNOTATION_LIBSECCOMP_VERSION = 'io.github.seccomp.libseccomp.version';

export function buildFeatures(): Features {
  const v2 = v2Controllers();
  const seccomp = seccompFeatures();
  const annotations: Record<string, string> = {};
  const scmpVersion = seccomp.enabled ? libseccompVersion() : undefined;
  if (scmpVersion) annotations[ANNOTATION_LIBSECCOMP_VERSION] = scmpVersion;
  return {
    ociVersionMin: SPEC_VERSION_MIN,
    ociVersionMax: SPEC_VERSION,
    // Every phase runs (src/hooks/phases.ts), prestart included although deprecated.
    hooks: [...ALL_PHASES],
    // Every option of the table that validation does not refuse, judged on a bind mount: idmap and
    // ridmap are taken there only (src/spec/unsupported.ts).
    mountOptions: KNOWN_MOUNT_OPTIONS.filter((o) => notRefused({ mounts: [{ destination: '/m', type: 'bind', source: '/m', options: [o] }] })),
    linux: {
      // Sorted, as runc lists them (specconv KnownNamespaces).
      namespaces: Object.keys(NAMESPACE_TABLE)
        .filter((type) => notRefused({ linux: { namespaces: [{ type: type as keyof typeof NAMESPACE_TABLE }] } }))
        .sort(),
      capabilities: [...ALL_CAP_NAMES],
      cgroup: {
        // Compile-time facts (features.md: "whether ... support is compiled in"), whatever this
        // host mounts: a manager with controllers exists for each version.
        v1: V1_CONTROLLERS.length > 0,
        v2: v2.length > 0,
        // There is no systemd driver: --systemd-cgroup is refused (src/cli/globals.ts).
        systemd: false,
        systemdUser: false,
        rdma: implemented(V1_CONTROLLERS, '/linux/resources/rdma') && implemented(v2, '/linux/resources/rdma'),
      },
      // What this host's libseccomp (and kernel) accept, probed at run time.
      seccomp,
      // Labels are applied where the LSM runs and refused where it does not: read from the host.
      apparmor: { enabled: lsmStatus().apparmor },
      selinux: { enabled: lsmStatus().selinux },
      memoryPolicy: { modes: Object.keys(MPOL_MODES), flags: Object.keys(MPOL_FLAGS) },
      intelRdt: { enabled: notRefused({ linux: { intelRdt: { closID: 'probe' } } }) },
      // features-linux.md: "enabled" when the runtime parses and attempts to use the mounts'
      // uidMappings/gidMappings, even with a partial implementation (binds only, here).
      mountExtensions: { idmap: { enabled: notRefused({ mounts: [{ destination: '/m', type: 'bind', source: '/m', options: ['rbind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 100000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 1 }] }] }) } },
      netDevices: { enabled: notRefused({ linux: { netDevices: { probe0: {} } } }) },
    },
    // runc omits an empty map; tsrun interprets no annotations, so it lists none as
    // potentiallyUnsafeConfigAnnotations either.
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
}
