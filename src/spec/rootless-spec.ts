// `tsrun spec --rootless`: the default spec turned into one a non-root caller can run, with the
// changes runc's ToRootless makes (libcontainer/specconv/example.go), in its order, so that the
// file is runc's `runc spec --rootless` apart from ociVersion and hostname (as for the plain
// default, default-spec.ts; test/unit/rootless-spec.test.ts pins it against runc 1.1.5's output):
// - a user namespace appended last, and no network namespace: a non-root user can create one
//   (owned by its user namespace), but it would have no way out (veth needs the host's
//   CAP_NET_ADMIN), so runc leaves the host's;
// - uid/gid maps of the caller's own ids to 0, the one mapping a process may write for itself
//   (user_namespaces(7), "Defining user and group ID mappings");
// - /sys an rbind of the host's: sysfs can be mounted only by a holder of CAP_SYS_ADMIN over the
//   network namespace, and the host's is owned by the initial user namespace;
// - no uid=/gid= mount option (devpts gid=5): the group may be unmapped, and the mount then fails;
// - no linux.resources: without a delegated cgroup there is nothing to write them to.
// The /sys/fs/cgroup mount stays, as in runc (read-only).

/** A spec document as the default spec builds it: plain JSON. */
interface SpecDoc {
  mounts: { destination: string; type?: string; source?: string; options?: string[] }[];
  linux: Record<string, unknown> & { namespaces: { type: string }[] };
}

/** Mount options the mapped ids may not satisfy (runc removes every uid= and gid=). */
function keepsOption(option: string): boolean {
  return !option.startsWith('uid=') && !option.startsWith('gid=');
}

/**
 * `spec` (the default spec, changed in place and returned) made rootless for a caller with
 * effective ids `uid`/`gid`. Key order matters to the caller's byte-for-byte comparison: the id
 * maps come first in `linux`, where the runtime-spec Go struct (and so runc's JSON) has them.
 */
export function toRootless(spec: object, uid: number, gid: number): object {
  const s = spec as SpecDoc;
  const namespaces = s.linux.namespaces.filter((ns) => ns.type !== 'network' && ns.type !== 'user');
  namespaces.push({ type: 'user' });
  const linux: Record<string, unknown> = {
    uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
  };
  // The other keys keep their order.
  for (const [key, value] of Object.entries(s.linux)) {
    if (key !== 'resources') linux[key] = key === 'namespaces' ? namespaces : value;
  }
  s.linux = linux as SpecDoc['linux'];
  s.mounts = s.mounts.map((m) => {
    if (m.destination.replace(/\/+$/, '') === '/sys') {
      return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    }
    return m.options ? { ...m, options: m.options.filter(keepsOption) } : m;
  });
  return s;
}
