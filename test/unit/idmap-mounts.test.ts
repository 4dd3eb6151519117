// Id-mapped binds without root: what convertSpec tells the parent and the init stage about each
// mount (config.md "Mounts": idmap, ridmap, uidMappings/gidMappings; which user namespace maps
// it), and the attributes a bind's options set on its detached tree (src/linux/bind-tree.ts).
// The mounts themselves: test/integration/userns-idmap.test.ts.
import t from 'tap';
import { SPEC_VERSION } from '../../src/spec/version';
import { convertSpec } from '../../src/spec/convert';
import { bindAttributes } from '../../src/linux/bind-tree';
import { parseMountOptions } from '../../src/linux/mount-options';
import {
  MOUNT_ATTR_NOATIME, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY, MOUNT_ATTR_STRICTATIME,
  MOUNT_ATTR__ATIME,
} from '../../src/sys/constants';

type Json = any;
const NO_LSM = { apparmor: false, selinux: false };
const CONTAINER = [{ containerID: 0, hostID: 100000, size: 65536 }];
const OWN = [{ containerID: 0, hostID: 101000, size: 1 }];

function config(user: Json, mounts: Json[]): Json {
  return {
    ociVersion: SPEC_VERSION,
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    mounts,
    linux: { namespaces: [{ type: 'mount' }, user], ...(user.path ? {} : { uidMappings: CONTAINER, gidMappings: CONTAINER }) },
  };
}

t.test('which user namespace maps each mount', async (t) => {
  const mounts = [
    { destination: '/plain', source: 'data', options: ['rbind'] },
    { destination: '/own', source: '/srv', options: ['rbind', 'idmap'], uidMappings: OWN, gidMappings: OWN },
    { destination: '/container', source: '/srv', options: ['bind', 'ridmap'] },
    { destination: '/nooption', source: '/srv', options: ['bind'], uidMappings: OWN, gidMappings: OWN },
    { destination: '/empty', source: '/srv', options: ['bind', 'idmap'], uidMappings: [], gidMappings: [] },
    { destination: '/last', source: '/srv', options: ['bind', 'ridmap', 'idmap'] },
  ];
  const m = convertSpec(config({ type: 'user' }, mounts), 'x', '/b', '/b/rootfs', NO_LSM).init.mounts;
  t.equal(m[0].idmap, undefined, 'a plain bind is not id-mapped');
  t.equal(m[0].source, '/b/data', 'its relative source is the bundle\'s');
  t.same(m[1].idmap, { recursive: false, uidMappings: OWN, gidMappings: OWN }, 'the mount\'s own mappings (config.md: MUST use those)');
  t.same(m[2].idmap, { recursive: true, uidMappings: CONTAINER, gidMappings: CONTAINER }, 'ridmap without mappings: the container\'s, recursive');
  t.same(m[3].idmap, { recursive: false, uidMappings: OWN, gidMappings: OWN }, 'mappings without the option: id-mapped, top mount only (runc)');
  t.same(m[4].idmap, { recursive: false, uidMappings: CONTAINER, gidMappings: CONTAINER }, 'empty mappings count as none (runtime-spec #1224)');
  t.same(m[5].idmap, { recursive: false, uidMappings: CONTAINER, gidMappings: CONTAINER }, 'the last of idmap/ridmap wins');
  for (const x of m) t.equal(x.treeFd, undefined, 'no fd before the parent makes the trees');
});

t.test('a joined user namespace maps the mounts without mappings of their own', async (t) => {
  const mounts = [
    { destination: '/joined', source: '/srv', options: ['bind', 'idmap'] },
    { destination: '/own', source: '/srv', options: ['bind', 'idmap'], uidMappings: OWN, gidMappings: OWN },
  ];
  const m = convertSpec(config({ type: 'user', path: '/proc/1/ns/user' }, mounts), 'x', '/b', '/b/rootfs', NO_LSM).init.mounts;
  t.same(m[0].idmap, { recursive: false, usernsPath: '/proc/1/ns/user' });
  t.same(m[1].idmap, { recursive: false, uidMappings: OWN, gidMappings: OWN });
});

t.test('a bind\'s options as the attributes of its tree', async (t) => {
  const attrs = (...o: string[]) => bindAttributes(parseMountOptions(o));
  t.same(attrs('rbind'), { set: 0, clr: 0 }, 'nothing named: the source\'s attributes stay (no mount_setattr call)');
  t.same(attrs('bind', 'ro', 'nosuid', 'nodev', 'noexec'), { set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, clr: 0 });
  t.same(attrs('bind', 'ro', 'rw'), { set: 0, clr: MOUNT_ATTR_RDONLY }, 'a later "rw" clears read-only');
  t.same(attrs('bind', 'suid', 'exec', 'dev'), { set: 0, clr: MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV });
  t.same(attrs('bind', 'noatime'), { set: MOUNT_ATTR_NOATIME, clr: MOUNT_ATTR__ATIME }, 'an atime mode replaces the whole field');
  t.same(attrs('bind', 'noatime', 'strictatime'), { set: MOUNT_ATTR_STRICTATIME, clr: MOUNT_ATTR__ATIME }, 'later overrides earlier');
  t.same(attrs('bind', 'relatime'), { set: 0, clr: MOUNT_ATTR__ATIME }, 'relatime is the field\'s zero value');
  t.same(attrs('bind', 'atime'), { set: 0, clr: 0 }, 'a word that only clears a mode leaves the source\'s');
  t.same(attrs('bind', 'sync', 'dirsync', 'lazytime'), { set: 0, clr: 0 }, 'superblock flags are not the bind\'s to change');
});
