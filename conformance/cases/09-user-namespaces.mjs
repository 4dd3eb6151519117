// runtime-spec config-linux.md "Namespaces" (user) and "User namespace mappings": a new user
// namespace gets the configured maps, the process is the mapped id on the host, and the other
// namespaces the config asks for are created inside it. The maps include host id 0 (as container
// id 1000) so the shared busybox rootfs, which belongs to host root, stays usable.
import { eq, match, ne } from '../lib/assert.mjs';
import { setNamespace } from '../lib/config.mjs';
import { hostNs } from '../lib/host.mjs';

export const section = '9. user namespaces';

const MAPS = [
  { containerID: 0, hostID: 300000, size: 1000 },
  { containerID: 1000, hostID: 0, size: 1 },
];

function userNs(c) {
  setNamespace(c, 'user');
  c.linux.uidMappings = structuredClone(MAPS);
  c.linux.gidMappings = structuredClone(MAPS);
}

/** The map files' lines, whitespace squeezed: "0 300000 1000;1000 0 1;". */
const MAP_TEXT = MAPS.map((m) => `${m.containerID} ${m.hostID} ${m.size};`).join('');

export default [
  {
    name: 'user_namespace_new',
    rule: 'config-linux.md Namespaces: "user ... the container will be able to remap user and group IDs from the host to local users and groups within the container"; a type without a path MUST be created new',
    script: 'readlink /proc/self/ns/user; id -u; id -g',
    patch: userNs,
    expect: (r) => {
      const [ns, uid, gid] = r.stdout.trim().split('\n');
      match(ns, /^user:\[\d+\]$/, 'user namespace link');
      ne(ns, hostNs('user'), `a new user namespace (host has ${hostNs('user')})`);
      eq(uid, '0', 'uid inside');
      eq(gid, '0', 'gid inside');
    },
  },
  {
    name: 'user_namespace_mappings',
    rule: 'config-linux.md User namespace mappings: "uidMappings (array of objects, OPTIONAL) describes the user namespace uid mappings from the host to the container" (containerID, hostID, size); gidMappings likewise',
    script: 'tr -s " " < /proc/self/uid_map | sed "s/^ //" | tr "\\n" ";"; echo; tr -s " " < /proc/self/gid_map | sed "s/^ //" | tr "\\n" ";"',
    patch: userNs,
    expect: (r) => {
      const [uid, gid] = r.stdout.trim().split('\n');
      eq(uid, MAP_TEXT, 'uid_map');
      eq(gid, MAP_TEXT, 'gid_map');
    },
  },
  {
    name: 'user_namespace_owns_the_others',
    rule: 'config-linux.md Namespaces: the namespaces the container creates are its own; with a user namespace they must be owned by it so that root in the container can act on them (user_namespaces(7)): sethostname in the new UTS namespace works with CAP_SYS_ADMIN held in the user namespace only',
    script: 'hostname owned && hostname',
    patch: (c) => {
      userNs(c);
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_ADMIN');
    },
    expect: (r) => eq(r.stdout.trim(), 'owned', 'hostname set inside'),
  },
  {
    name: 'user_namespace_mappings_without_user_namespace_fail',
    rule: 'config-linux.md User namespace mappings only apply to a user namespace (runc: "User namespace mappings specified, but USER namespace isn\'t enabled in the config")',
    patch: (c) => {
      c.linux.uidMappings = structuredClone(MAPS);
    },
    fail: '/linux/uidMappings',
  },
  {
    name: 'user_namespace_without_mappings_fail',
    rule: 'config-linux.md User namespace mappings: a new user namespace has no mapping until one is written; tsrun requires uidMappings and gidMappings with it (runc: "user namespaces enabled, but no mapping found")',
    patch: (c) => setNamespace(c, 'user'),
    fail: '/linux/uidMappings',
  },
];
