// The features document (runtime-spec features.md, features-linux.md): what this build of tsrun
// supports, built from the same tables the runtime uses, so it cannot drift from the code.
// Anything that config.json validation refuses (src/spec/unsupported.ts) is left out or false.
import { KNOWN_MOUNT_OPTIONS } from './linux/mount-options';
import { ALL_CAP_NAMES } from './security/capability-table';
import { lsmStatus } from './security/lsm';
import { MPOL_FLAGS, MPOL_MODES } from './security/memory-policy';
import { seccompFeatures } from './security/seccomp-features';
import type { Features } from './spec/types';
import { ALL_PHASES } from './hooks/names';
import { SPEC_VERSION, SPEC_VERSION_MIN } from './spec/version';


export function buildFeatures(cgroup: { v1: boolean; v2: boolean }): Features {
  return {
    ociVersionMin: SPEC_VERSION_MIN,
    ociVersionMax: SPEC_VERSION,
    // Every phase runs (src/hooks/phases.ts), prestart included although deprecated.
    hooks: [...ALL_PHASES],
    // idmap/ridmap need user namespaces, which tsrun refuses for now.
    mountOptions: KNOWN_MOUNT_OPTIONS.filter((o) => o !== 'idmap' && o !== 'ridmap'),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts', 'time'],
      capabilities: [...ALL_CAP_NAMES],
      cgroup: { v1: cgroup.v1, v2: cgroup.v2, systemd: false, systemdUser: false, rdma: false },
      // What this host's libseccomp (and kernel) accept, probed at run time.
      seccomp: seccompFeatures(),
      // Labels are applied where the LSM runs and refused where it does not: read from the host.
      apparmor: { enabled: lsmStatus().apparmor },
      selinux: { enabled: lsmStatus().selinux },
      memoryPolicy: { modes: Object.keys(MPOL_MODES), flags: Object.keys(MPOL_FLAGS) },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: {},
  } as Features;
}
