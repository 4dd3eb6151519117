// Layout detection (mountinfo parsing, v1/v2/hybrid) and linux.cgroupsPath resolution.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { cgroupPathsFor, resolveCgroupsPath } from '../../src/cgroups/cgroups-path';
import { detectCgroupLayout, parseMountinfo } from '../../src/cgroups/detect';
import { CgroupError } from '../../src/cgroups/errors';
import { makeFakeCgroupTree } from '../lib/fake-cgroupfs';
import { SpecError, UnsupportedError } from '../../src/errors';

t.test('parseMountinfo reads optional fields, fstype, super options and octal escapes', async (t) => {
  const text = [
    '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue',
    '40 31 0:37 / /sys/fs/cgroup/my\\040dir rw,relatime - cgroup cgroup rw,name=systemd',
    'garbage line',
  ].join('\n');
  const entries = parseMountinfo(text);
  t.equal(entries.length, 2);
  t.same(entries[0], { root: '/mnt1', mountPoint: '/mnt2', fsType: 'ext3', superOptions: ['rw', 'errors=continue'] });
  t.equal(entries[1].mountPoint, '/sys/fs/cgroup/my dir');
  t.same(entries[1].superOptions, ['rw', 'name=systemd']);
});

t.test('v1: controllers from super options, co-mounted ones share a dir, flags ignored', async (t) => {
  const tree = makeFakeCgroupTree('v1');
  t.teardown(tree.cleanup);
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: tree.mountinfo });
  t.equal(layout.kind, 'v1');
  t.equal(layout.unified, undefined);
  t.equal(layout.v1.cpu, path.join(tree.root, 'cpu,cpuacct'));
  t.equal(layout.v1.cpuacct, layout.v1.cpu);
  t.equal(layout.v1['name=systemd'], path.join(tree.root, 'systemd'));
  t.equal(layout.v1.pids, path.join(tree.root, 'pids'));
  t.notOk('xattr' in layout.v1, 'mount flags are not controllers');
  t.notOk('rw' in layout.v1);
  t.same(Object.keys(layout.v1).sort(), ['cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'name=systemd', 'pids']);
});

t.test('hybrid: v1 controllers plus a cgroup2 mount', async (t) => {
  const tree = makeFakeCgroupTree('hybrid');
  t.teardown(tree.cleanup);
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: tree.mountinfo });
  t.equal(layout.kind, 'hybrid');
  t.equal(layout.unified, path.join(tree.root, 'unified'));
  t.equal(layout.v1.freezer, path.join(tree.root, 'freezer'));
});

t.test('v2: cgroup.controllers at the root wins, whatever mountinfo says', async (t) => {
  const tree = makeFakeCgroupTree('v2');
  t.teardown(tree.cleanup);
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: '1 0 0:1 / /x rw - cgroup cgroup rw,pids\n' });
  t.same(layout, { kind: 'v2', v1: {}, unified: tree.root });
});

t.test('mounts under the root are preferred over stray cgroup mounts elsewhere', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-detect-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const mountinfo = [
    '20 1 0:40 / /elsewhere/pids rw - cgroup cgroup rw,pids',
    `21 1 0:40 / ${root}/pids rw - cgroup cgroup rw,pids`,
  ].join('\n');
  t.equal(detectCgroupLayout({ root, mountinfo }).v1.pids, `${root}/pids`);
});

t.test('no cgroup mounts at all is a clear error', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-detect-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  t.throws(() => detectCgroupLayout({ root, mountinfo: '1 0 8:1 / / rw - ext4 /dev/sda1 rw\n' }), CgroupError);
  // Only a named hierarchy and no controller is not usable either.
  t.throws(() => detectCgroupLayout({ root, mountinfo: `1 0 0:9 / ${root}/systemd rw - cgroup cgroup rw,name=systemd\n` }), /no cgroup filesystem/);
});

const noHostCgroups = !fs.existsSync('/proc/self/mountinfo') || !fs.existsSync('/sys/fs/cgroup');
t.test('this host: detection agrees with /sys/fs/cgroup', { skip: noHostCgroups && 'no /sys/fs/cgroup here' }, async (t) => {
  const layout = detectCgroupLayout();
  const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  t.equal(layout.kind === 'v2', v2);
  if (!v2) t.ok(layout.v1.pids === undefined || layout.v1.pids.startsWith('/sys/fs/cgroup/'));
});

t.test('cgroupsPath: absent, relative, absolute', async (t) => {
  t.equal(resolveCgroupsPath(undefined, 'c1'), '/tsrun/c1');
  t.equal(resolveCgroupsPath('', 'c1'), '/tsrun/c1');
  t.equal(resolveCgroupsPath('a/b', 'c1'), '/tsrun/a/b');
  t.equal(resolveCgroupsPath('/a/b', 'c1'), '/a/b');
  t.equal(resolveCgroupsPath('/a//./b/', 'c1'), '/a/b', 'normalised');
  t.equal(resolveCgroupsPath('/a:b', 'c1'), '/a:b', 'colons are fine in an absolute path');
});

t.test('cgroupsPath: refusals', async (t) => {
  for (const bad of ['/a/../b', '..', 'x/../../y']) {
    t.throws(() => resolveCgroupsPath(bad, 'c1'), { pointer: '/linux/cgroupsPath', message: /"\.\." components/ }, bad);
  }
  t.throws(() => resolveCgroupsPath('/', 'c1'), /root of the cgroup hierarchy/);
  t.throws(() => resolveCgroupsPath('/a\nb', 'c1'), SpecError);
  const err = t.throws(() => resolveCgroupsPath('system.slice:docker:abc', 'c1'));
  t.type(err, UnsupportedError);
  t.match(err, { pointer: '/linux/cgroupsPath', code: 'unsupported', message: /systemd cgroup driver/ });
  t.throws(() => resolveCgroupsPath(undefined, '..'), /"\.\." components/, 'a hostile id cannot escape either');
});

t.test('cgroupPathsFor: one dir per hierarchy, unified on hybrid', async (t) => {
  const tree = makeFakeCgroupTree('hybrid');
  t.teardown(tree.cleanup);
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: tree.mountinfo });
  const rec = cgroupPathsFor(layout, '/tsrun/c1');
  t.equal(rec.kind, 'hybrid');
  t.equal(rec.paths.pids, path.join(tree.root, 'pids/tsrun/c1'));
  t.equal(rec.paths.cpu, path.join(tree.root, 'cpu,cpuacct/tsrun/c1'));
  t.equal(rec.paths['name=systemd'], path.join(tree.root, 'systemd/tsrun/c1'));
  t.equal(rec.paths.unified, path.join(tree.root, 'unified/tsrun/c1'));
  t.same(rec.createdDirs, []);
});
