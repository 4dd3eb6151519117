// Id-mapped bind mounts (config.md "Mounts": idmap, ridmap, uidMappings/gidMappings), made by the
// parent with open_tree + mount_setattr(MOUNT_ATTR_IDMAP) and moved into place by the init stage
// (src/launcher/parent/idmap-trees.ts, src/linux/bind-tree.ts): a host file shows the owner the mapping
// says inside, a file made inside lands with the mapped owner on the host, the mount's own
// mappings win over the container's, ridmap reaches submounts and idmap does not, a joined user
// namespace maps too, and a filesystem without idmap support fails create by name, leaving
// nothing. Host ext4 (the test's temp dir) and tmpfs (Linux 6.3+) support id-mapped mounts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, skipReason, stateOf, tsrun, uniqueId,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

const BASE = 200000;
type IdMap = { containerID: number; hostID: number; size: number };
// Host root is container id 1000: the shared busybox rootfs (host root's) stays usable.
const MAPS: IdMap[] = [{ containerID: 0, hostID: BASE, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }, { containerID: 1001, hostID: BASE + 1001, size: 64535 }];

function withUserNs(c: any): void {
  quiet(c);
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = MAPS;
  c.linux.gidMappings = MAPS;
}

/** A host directory (under the temp dir, so on its filesystem) holding `file`, owned by uid:gid `owner`. */
function sourceDir(t: any, owner: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-idmap-'));
  fs.chmodSync(dir, 0o777);
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  fs.chownSync(path.join(dir, 'file'), owner, owner);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A tmpfs at /tmp first: the mount points below it are made there, never in the shared busybox
 * rootfs (a new directory there would outlive the test and show up in other tests' rootfs copies).
 */
function scratch(c: any): void {
  c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
}

function run(t: any, script: string, mutate: (c: any) => void) {
  const bundle = bundleFor(t, (c) => {
    c.process.args = ['sh', '-c', script];
    withUserNs(c);
    scratch(c);
    mutate(c);
  });
  return tsrun(root, ['run', '--bundle', bundle, uniqueId('idmap')]);
}

function kv(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Does the kernel id-map a mount of this host's temp dir? (runc's tests ask the same: requires_idmap_fs.) */
function idmapSkip(): string | false {
  if (skipReason) return skipReason;
  const r = spawnSync('findmnt', ['-no', 'FSTYPE', '-T', os.tmpdir()], { encoding: 'utf8' });
  const fstype = r.stdout.trim();
  return ['ext4', 'xfs', 'btrfs', 'tmpfs', 'overlay', 'f2fs', 'vfat'].includes(fstype) ? false : `${os.tmpdir()} is on ${fstype || 'an unknown filesystem'}, which may not support id-mapped mounts`;
}
const skip = idmapSkip();

t.test('idmap through the container\'s mapping: the owner inside and outside', { skip }, async (t) => {
  const src = sourceDir(t, 0);
  const r = run(t, [
    'echo plain=$(stat -c %u:%g /tmp/plain/file)',
    'echo mapped=$(stat -c %u:%g /tmp/mapped/file)',
    'touch /tmp/mapped/made && echo made=$(stat -c %u:%g /tmp/mapped/made)',
    'echo info=$(grep " /tmp/mapped " /proc/self/mountinfo | cut -d" " -f6)',
  ].join('; '), (c) => {
    c.mounts.push({ destination: '/tmp/plain', type: 'bind', source: src, options: ['rbind'] });
    c.mounts.push({ destination: '/tmp/mapped', type: 'bind', source: src, options: ['rbind', 'rw', 'idmap'] });
  });
  t.equal(r.status, 0, r.stderr);
  const v = kv(r.stdout);
  t.equal(v.plain, '1000:1000', 'a plain bind: host root\'s file is container id 1000\'s (the namespace\'s map)');
  t.equal(v.mapped, '0:0', 'the id-mapped bind: host root\'s file is container root\'s');
  t.equal(v.made, '0:0', 'a file container root makes there is root\'s inside');
  t.equal(fs.statSync(path.join(src, 'made')).uid, 0, '... and host root\'s on the host (not the mapped id)');
  t.equal(fs.statSync(path.join(src, 'made')).gid, 0);
  t.match(v.info, /idmapped/, 'mountinfo says idmapped');
  assertNoLeaks(t, root);
});

t.test('the mount\'s own uidMappings/gidMappings win over the container\'s', { skip }, async (t) => {
  const src = sourceDir(t, 0);
  fs.writeFileSync(path.join(src, 'other'), 'x');
  fs.chownSync(path.join(src, 'other'), 5, 5);
  // On-disk id 0 shows as host id BASE+7 (container 7), on-disk 2000 as BASE (container root);
  // on-disk 5 is not mapped by the mount: the overflow id.
  const own = [{ containerID: 0, hostID: BASE + 7, size: 1 }, { containerID: 2000, hostID: BASE, size: 1 }];
  const r = run(t, 'echo file=$(stat -c %u:%g /tmp/m/file); echo other=$(stat -c %u /tmp/m/other); touch /tmp/m/made && echo made=$(stat -c %u /tmp/m/made)', (c) => {
    c.mounts.push({ destination: '/tmp/m', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: own, gidMappings: own });
  });
  t.equal(r.status, 0, r.stderr);
  const v = kv(r.stdout);
  t.equal(v.file, '7:7', 'on-disk 0 is container 7 through the mount\'s mapping');
  t.equal(v.other, '65534', 'an id the mount does not map is the overflow id');
  t.equal(v.made, '0', 'container root\'s new file is root\'s inside');
  t.equal(fs.statSync(path.join(src, 'made')).uid, 2000, '... and on-disk id 2000 on the host');
  assertNoLeaks(t, root);
});

/** The submount is a tmpfs, which supports id-mapped mounts from Linux 6.3. */
function tmpfsIdmapSkip(): string | false {
  const [major, minor] = os.release().split('.').map(Number);
  return major > 6 || (major === 6 && minor >= 3) ? false : 'tmpfs supports id-mapped mounts from Linux 6.3';
}

t.test('ridmap maps the submounts of an rbind, idmap only its top', { skip: skip || tmpfsIdmapSkip() }, async (t) => {
  const src = sourceDir(t, 0);
  const sub = path.join(src, 'sub');
  fs.mkdirSync(sub);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=777', 'tsrun-idmap-test', sub], { encoding: 'utf8' });
  t.equal(m.status, 0, `mount a tmpfs for the test: ${m.stderr}`);
  t.teardown(() => { spawnSync('umount', ['-l', sub]); });
  fs.writeFileSync(path.join(sub, 'file'), 'x');
  const r = run(t, 'echo top=$(stat -c %u /tmp/i/file); echo i=$(stat -c %u /tmp/i/sub/file); echo r=$(stat -c %u /tmp/r/sub/file)', (c) => {
    c.mounts.push({ destination: '/tmp/i', type: 'bind', source: src, options: ['rbind', 'idmap'] });
    c.mounts.push({ destination: '/tmp/r', type: 'bind', source: src, options: ['rbind', 'ridmap'] });
  });
  t.equal(r.status, 0, r.stderr);
  const v = kv(r.stdout);
  t.equal(v.top, '0', 'idmap: the top mount is mapped');
  t.equal(v.i, '1000', 'idmap: a submount keeps the namespace\'s view (host root = container 1000)');
  t.equal(v.r, '0', 'ridmap: the submount is mapped too');
  spawnSync('umount', [sub]);
  assertNoLeaks(t, root);
});

t.test('idmap through a joined user namespace', { skip }, async (t) => {
  const src = sourceDir(t, 0);
  const first = bundleFor(t, (c) => {
    withUserNs(c);
    c.process.args = ['sleep', '1000'];
  });
  const a = uniqueId('idmap');
  t.teardown(() => tsrun(root, ['delete', '--force', a]));
  t.equal(tsrun(root, ['run', '--detach', '--bundle', first, a]).status, 0);
  const pid = stateOf(root, a)?.pid as number;
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['stat', '-c', '%u', '/tmp/m/file'];
    scratch(c);
    c.linux.namespaces.push({ type: 'user', path: `/proc/${pid}/ns/user` });
    c.mounts.push({ destination: '/tmp/m', type: 'bind', source: src, options: ['bind', 'idmap'] });
  });
  const r = tsrun(root, ['run', '--bundle', bundle, uniqueId('idmap')]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), '0', 'mapped through the joined namespace\'s maps');
  t.equal(tsrun(root, ['delete', '--force', a]).status, 0);
  assertNoLeaks(t, root);
});

t.test('a filesystem without id-mapped mounts: create fails by name and leaves nothing', { skip: skipReason }, async (t) => {
  // sysfs has no FS_ALLOW_IDMAP: mount_setattr(2) answers EINVAL.
  const bundle = bundleFor(t, (c) => {
    withUserNs(c);
    scratch(c);
    c.mounts.push({ destination: '/tmp/m', type: 'bind', source: '/sys/kernel/mm', options: ['rbind', 'idmap'] });
  });
  const id = uniqueId('idmap');
  const r = tsrun(root, ['create', '--bundle', bundle, id]);
  assertCleanError(t, r, /mount \/sys\/kernel\/mm to \/tmp\/m: id-mapped mounts are not supported by the filesystem of \/sys\/kernel\/mm \(mount_setattr MOUNT_ATTR_IDMAP: EINVAL\)/);
  t.equal(stateOf(root, id), undefined, 'no state');
  assertNoLeaks(t, root);
});
