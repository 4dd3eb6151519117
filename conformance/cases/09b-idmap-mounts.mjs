// runtime-spec config.md "Mounts": the mount uidMappings/gidMappings [v1.1.0] and the idmap/ridmap
// options [v1.2.0], one case per rule. The host files of these cases belong to host root; the
// container's user namespace maps host id 0 to container id 1000 (as in 09-user-namespaces.mjs),
// so through a plain bind they are 1000's and through an id-mapped one what its mapping says.
import fs from 'node:fs';
import path from 'node:path';
import { eq } from '../lib/assert.mjs';
import { addBind, addMount, addTmpfs, setNamespace } from '../lib/config.mjs';
import { makeDir, makeTreeWithSubmounts } from '../lib/host-tree.mjs';

export const section = '9b. id-mapped mounts';

const MAPS = [
  { containerID: 0, hostID: 300000, size: 1000 },
  { containerID: 1000, hostID: 0, size: 1 },
];
/** A mount mapping: on-disk id 0 shows as host id 300007, which is container id 7. */
const OWN = [{ containerID: 0, hostID: 300007, size: 1 }];

/**
 * A user namespace, and a tmpfs at /tmp for the mount points: made below it, never in the shared
 * busybox rootfs (a new directory there would outlive the case).
 */
function userNs(c) {
  setNamespace(c, 'user');
  c.linux.uidMappings = structuredClone(MAPS);
  c.linux.gidMappings = structuredClone(MAPS);
  addTmpfs(c, '/tmp', ['size=1m']);
}

/** `stat -c %u:%g` of each path, one per line. */
const statOf = (...files) => files.map((f) => `stat -c %u:%g ${f}`).join('; ');

/** Linux 6.3 gave tmpfs id-mapped mounts (FS_ALLOW_IDMAP); the submounts of makeTreeWithSubmounts are tmpfs. */
function tmpfsIdmapSkip() {
  const [major, minor] = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').split('.').map(Number);
  return major > 6 || (major === 6 && minor >= 3) ? undefined : 'tmpfs supports id-mapped mounts from Linux 6.3';
}

export default [
  {
    name: 'mount_idmap_own_mappings',
    rule: 'config.md Mounts idmap: "If uidMappings or gidMappings are specified for the mount, the runtime MUST use those values for the mount\'s mapping"; uidMappings: "The mapping to convert UIDs from the source file system to the destination mount point"',
    script: statOf('/tmp/plain/f', '/tmp/mapped/f'),
    patch: (c, ctx) => {
      userNs(c);
      const dir = makeDir(ctx, 'data', { f: 'x' });
      addBind(c, dir, '/tmp/plain', ['bind']);
      addMount(c, { destination: '/tmp/mapped', type: 'bind', source: dir, options: ['bind', 'idmap'], uidMappings: structuredClone(OWN), gidMappings: structuredClone(OWN) });
    },
    expect: (r) => eq(r.stdout.trim().split('\n'), ['1000:1000', '7:7'], 'owner through the plain bind, then through the id-mapped one'),
  },
  {
    name: 'mount_idmap_container_mapping',
    rule: 'config.md Mounts idmap: "If they are not specified, the runtime MAY use the container\'s user namespace mapping" (host root\'s file is container root\'s, and a file container root makes is host root\'s)',
    script: `${statOf('/tmp/mapped/f')}; touch /tmp/mapped/new && ${statOf('/tmp/mapped/new')}`,
    patch: (c, ctx) => {
      userNs(c);
      const dir = makeDir(ctx, 'data', { f: 'x' });
      fs.chmodSync(dir, 0o777);
      addBind(c, dir, '/tmp/mapped', ['bind', 'idmap']);
    },
    expect: (r, ctx) => {
      eq(r.stdout.trim().split('\n'), ['0:0', '0:0'], 'owners inside');
      const st = fs.statSync(path.join(ctx.work, 'data', 'new'));
      eq(`${st.uid}:${st.gid}`, '0:0', 'the new file\'s owner on the host');
    },
  },
  {
    name: 'mount_ridmap_recursive',
    rule: 'config.md Mounts ridmap: "Indicates that the mount MUST have an idmapping applied, and the mapping is applied recursively" (a submount of the rbind is mapped; with idmap it is not)',
    script: statOf('/tmp/r/sub/file', '/tmp/i/sub/file'),
    skip: tmpfsIdmapSkip,
    patch: (c, ctx) => {
      userNs(c);
      const tree = makeTreeWithSubmounts(ctx);
      addBind(c, tree, '/tmp/r', ['rbind', 'ridmap']);
      addBind(c, tree, '/tmp/i', ['rbind', 'idmap']);
    },
    expect: (r) => eq(r.stdout.trim().split('\n'), ['0:0', '1000:1000'], 'submount file through ridmap, then through idmap'),
  },
  {
    name: 'mount_idmap_no_mappings_no_userns_fail',
    rule: 'config.md Mounts idmap: "If there are no uidMappings and gidMappings specified and the container isn\'t using user namespaces, an error MUST be returned"',
    patch: (c, ctx) => addBind(c, makeDir(ctx, 'data'), '/tmp/mapped', ['bind', 'idmap']),
    fail: ['/mounts/', 'idmap'],
  },
  {
    name: 'mount_ridmap_no_mappings_no_userns_fail',
    rule: 'config.md Mounts ridmap: "If there are no uidMappings and gidMappings specified and the container isn\'t using user namespaces, an error MUST be returned"',
    patch: (c, ctx) => addBind(c, makeDir(ctx, 'data'), '/tmp/mapped', ['rbind', 'ridmap']),
    fail: ['/mounts/', 'ridmap'],
  },
  {
    name: 'mount_uid_mappings_without_gid_mappings_fail',
    rule: 'config.md Mounts uidMappings: "If specified, it MUST be specified along with gidMappings"',
    patch: (c, ctx) => {
      userNs(c);
      addMount(c, { destination: '/tmp/mapped', type: 'bind', source: makeDir(ctx, 'data'), options: ['bind', 'idmap'], uidMappings: structuredClone(OWN) });
    },
    fail: 'gidMappings',
  },
  {
    name: 'mount_gid_mappings_without_uid_mappings_fail',
    rule: 'config.md Mounts gidMappings: "If specified, it MUST be specified along with uidMappings"',
    patch: (c, ctx) => {
      userNs(c);
      addMount(c, { destination: '/tmp/mapped', type: 'bind', source: makeDir(ctx, 'data'), options: ['bind', 'idmap'], gidMappings: structuredClone(OWN) });
    },
    fail: 'uidMappings',
  },
  {
    name: 'mount_idmap_unsupported_filesystem_fail',
    rule: 'runtime.md create: "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created" (idmap of a sysfs directory: no idmap support there)',
    patch: (c) => {
      userNs(c);
      addBind(c, '/sys/kernel/mm', '/tmp/mapped', ['rbind', 'idmap']);
    },
    fail: ['/sys/kernel/mm', 'id-mapped mounts are not supported'],
  },
];
