// The init stage's build (src/launcher/stage/init-steps.ts buildContainer) against the recording fake
// Sys (test/lib/fake-sys.ts): the order of mounts for a typical config, as config.md "Mounts"
// (listed order), runc's prepareRootfs/finalizeRootfs and docs/ARCHITECTURE.md section 6 ask,
// and what each failure reports and leaves open. No root: nothing reaches the kernel.
import t from 'tap';
import { buildContainer } from '../../src/launcher/stage/init-steps';
import { StepError } from '../../src/launcher/stage/step';
import { DEFAULT_DEVICES } from '../../src/linux/devices';
import { MNT_DETACH, MOUNT_ATTR_RDONLY, MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC, MS_SLAVE, S_IFCHR, S_IFREG } from '../../src/sys/constants';
import { SyscallError } from '../../src/errors';
import type { InitConfig } from '../../src/stage-config/init-config';
import { FakeSys, type SysCall } from '../lib/fake-sys';

const ROOTFS = '/bundle/rootfs';

/** runc's default spec's mounts, less cgroup, plus a read-only bind of a host file. */
function typicalConfig(): InitConfig {
  return {
    id: 'c1', rootfs: ROOTFS, readonlyRoot: true, ownMountNs: true, noPivot: false, newCgroupNs: false,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: [] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['rbind', 'ro'] },
    ],
    devices: [...DEFAULT_DEVICES], setupDev: true,
    maskedPaths: ['/proc/kcore', '/proc/acpi'], readonlyPaths: ['/proc/sys'],
    hostname: 'box', sysctl: {}, fifoPath: '/run/tsrun-x/c1/exec.fifo', newKeyring: false, preserveFds: 0,
    process: {
      args: ['sh'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, additionalGids: [], rlimits: [],
      noNewPrivileges: true, terminal: false,
    },
  };
}

function fakeHost(): FakeSys {
  const f = new FakeSys();
  f.files.set('/proc/sys/kernel/cap_last_cap', '40\n');
  // The host's "/" is the mount holding the rootfs, shared as on systemd hosts.
  f.files.set('/proc/self/mountinfo', '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n');
  f.stats.set('/etc/hosts', { mode: S_IFREG | 0o644, rdev: 0n });
  f.stats.set('/bin/sh', { mode: S_IFREG | 0o755, rdev: 0n });
  return f;
}

/** mount/umount/pivot/setattr calls as "what -> where [type]", fds shown as the paths they hold. */
const mountLine = (f: FakeSys) => (c: SysCall): string => {
  const r = c.resolved;
  switch (c.name) {
    case 'mount': return `mount ${r[0] ?? '-'} ${r[1]}${r[2] ? ` ${r[2]}` : ''}`;
    case 'umount2': return `umount ${r[0]}`;
    case 'pivotRoot': return `pivot_root ${r[0]} ${r[1]}`;
    case 'mountSetattr': return `setattr ${r[4] ?? r[1]}`;
    case 'sethostname': return `hostname ${r[0]}`;
    case 'openTree': return `open_tree ${r[1]}`;
    case 'moveMount': return `move_mount ${f.pathOf(r[0])} -> ${f.pathOf(r[2])}`;
    default: return `${c.name} ${String(r[0])}`;
  }
};

t.test('a typical config: propagation, rootfs bind, mounts in listed order, /dev, hooks, pivot_root, then read-only and masked paths', async (t) => {
  const f = fakeHost();
  buildContainer(f.sys, typicalConfig(), () => {}, () => {}, () => f.note('hooks'));
  const lines = f.only('mount', 'umount2', 'pivotRoot', 'mountSetattr', 'openTree', 'moveMount', 'sethostname', 'note').map(mountLine(f));
  t.same(lines, [
    'mount - /',                                   // MS_SLAVE|MS_REC: nothing propagates to the host
    'mount - /',                                   // MS_PRIVATE on the rootfs's parent mount
    `mount ${ROOTFS} ${ROOTFS}`,                   // the rootfs bound onto itself: a mount point
    `mount proc ${ROOTFS}/proc proc`,
    `mount tmpfs ${ROOTFS}/dev tmpfs`,
    `mount devpts ${ROOTFS}/dev/pts devpts`,
    `mount shm ${ROOTFS}/dev/shm tmpfs`,
    `mount mqueue ${ROOTFS}/dev/mqueue mqueue`,
    `mount sysfs ${ROOTFS}/sys sysfs`,
    'open_tree /etc/hosts',                        // the bind: a detached copy of the source...
    'setattr /etc/hosts',                          // ...made read-only while detached...
    `move_mount /etc/hosts -> ${ROOTFS}/etc/hosts`, // ...and moved onto the target's fd
    'note hooks',                                  // prestart/createRuntime/createContainer: after the mounts
    'pivot_root . .',
    'mount - .',                                   // the old root made a slave before it is detached
    'umount .',
    'mount /proc/sys /proc/sys',                   // readonlyPaths: bind, then read-only
    'setattr /proc/sys',
    'mount /dev/null /proc/kcore',                 // maskedPaths: the checked /dev/null bound over each
    'mount /dev/null /proc/acpi',
    'hostname box',
    'setattr /',                                   // root.readonly last
  ]);
  const mounts = f.only('mount');
  t.equal(mounts[0].args[3], MS_SLAVE | MS_REC, 'propagation first: MS_SLAVE|MS_REC on /');
  t.equal(mounts[1].args[3], MS_PRIVATE, 'then the parent mount of the rootfs private (pivot_root EINVAL otherwise)');
  t.equal(mounts[2].args[3], MS_BIND | MS_REC, 'the rootfs rbind');
  t.equal((f.only('mountSetattr')[0].args[3] as { attr_set: number }).attr_set, MOUNT_ATTR_RDONLY, 'the bind\'s ro set on the detached tree');
  t.equal(f.only('umount2')[0].args[1], MNT_DETACH, 'the old root is lazily detached');

  // Device nodes go into the container's /dev tmpfs: after it is mounted, before pivot_root.
  const idx = (pred: (c: SysCall) => boolean): number => f.calls.findIndex(pred);
  const devMount = idx((c) => c.name === 'mount' && c.resolved[1] === `${ROOTFS}/dev`);
  const firstNode = idx((c) => c.name === 'mknodat');
  const pivot = idx((c) => c.name === 'pivotRoot');
  t.ok(devMount < firstNode && firstNode < pivot, 'device nodes after the /dev mount and before pivot_root');
  t.same(f.only('mknodat').map((c) => c.args[1]), ['null', 'zero', 'full', 'random', 'urandom', 'tty'], 'the default devices');
  t.ok(f.only('mknodat').every((c) => ((c.args[2] as number) & S_IFCHR) === S_IFCHR), 'character devices');
  t.same(f.only('symlinkat').map((c) => `${c.args[3]} -> ${c.args[0]}`), [
    '/dev/fd -> /proc/self/fd', '/dev/stdin -> /proc/self/fd/0', '/dev/stdout -> /proc/self/fd/1',
    '/dev/stderr -> /proc/self/fd/2', '/dev/ptmx -> pts/ptmx',
  ], 'the /dev links (runtime-linux.md)');
  // The exec fifo is held before pivot_root, by its host path.
  const fifo = idx((c) => c.name === 'open' && c.args[0] === '/run/tsrun-x/c1/exec.fifo');
  t.ok(fifo >= 0 && fifo < pivot, 'the exec fifo opened before pivot_root');
  t.same(f.openFds().sort(), ['/proc/self/fd', '/run/tsrun-x/c1/exec.fifo'], 'only the fifo and the fd dir stay open for final-exec');
});

t.test('EPERM from a mount names the mount and its destination, and leaves no fd open', async (t) => {
  const f = fakeHost().fail('mount', 'EPERM', (_src: unknown, _tgt: unknown, type: unknown) => type === 'proc');
  const err = t.throws(() => buildContainer(f.sys, typicalConfig(), () => {}, () => {})) as StepError;
  t.ok(err instanceof StepError);
  t.equal(err.step, 'rootfs');
  t.match(err.message, 'rootfs: mount proc to /proc (type proc): mount: EPERM');
  t.notOk(f.calls.some((c) => c.name === 'mount' && c.resolved[1] === `${ROOTFS}/dev`), 'nothing mounted after the failing one');
  t.same(f.openFds(), [], 'the rootfs fd and the target fd are closed');
});

t.test('a missing bind source is named with its destination', async (t) => {
  const f = fakeHost().fail('stat', 'ENOENT', (p: unknown) => p === '/etc/hosts');
  const err = t.throws(() => buildContainer(f.sys, typicalConfig(), () => {}, () => {})) as StepError;
  t.match(err.message, 'mount source /etc/hosts for /etc/hosts: ENOENT');
  t.same(f.openFds(), []);
});

t.test('ENOENT from pivot_root fails the pivot_root step; nothing after it runs', async (t) => {
  const f = fakeHost().fail('pivotRoot', 'ENOENT');
  const err = t.throws(() => buildContainer(f.sys, typicalConfig(), () => {}, () => {})) as StepError;
  t.equal(err.step, 'pivot_root');
  t.ok(err.cause instanceof SyscallError);
  t.match(err.cause, { syscall: 'pivot_root', errnoCode: 'ENOENT' });
  const after = f.calls.slice(f.calls.findIndex((c) => c.name === 'pivotRoot') + 1);
  t.same(after.map((c) => c.name), ['close', 'close'], 'only the old and new root fds closed after the failure');
});

t.test('masked paths: a missing path is skipped, a directory gets an empty read-only tmpfs', async (t) => {
  const f = fakeHost()
    .fail('mount', 'ENOENT', (_s: unknown, tgt: unknown) => tgt === '/proc/kcore')
    .fail('mount', 'ENOTDIR', (_s: unknown, tgt: unknown) => tgt === '/proc/acpi');
  buildContainer(f.sys, typicalConfig(), () => {}, () => {});
  const masked = f.only('mount').filter((c) => c.args[1] === '/proc/kcore' || c.args[1] === '/proc/acpi');
  t.same(masked.map((c) => [c.resolved[0], c.args[1], c.args[2], c.failed ?? 'ok']), [
    ['/dev/null', '/proc/kcore', null, 'ENOENT'],
    ['/dev/null', '/proc/acpi', null, 'ENOTDIR'],
    ['tmpfs', '/proc/acpi', 'tmpfs', 'ok'],
  ]);
  t.equal(masked[2].args[3], MS_RDONLY);
});

t.test('a /dev/null that is not char 1:3 is never bound over anything', async (t) => {
  const f = fakeHost();
  f.stats.set('/dev/null', { mode: S_IFREG | 0o644, rdev: 0n });
  const err = t.throws(() => buildContainer(f.sys, typicalConfig(), () => {}, () => {})) as StepError;
  t.equal(err.step, 'masked-paths');
  t.match(err.message, 'not the null device');
  t.notOk(f.calls.some((c) => c.name === 'mount' && c.resolved[0] === '/dev/null'));
  t.notOk(f.openFds().includes('/dev/null'), 'its fd closed');
});

t.test('sethostname EPERM fails the hostname step, before the root goes read-only', async (t) => {
  const f = fakeHost().fail('sethostname', 'EPERM');
  const err = t.throws(() => buildContainer(f.sys, typicalConfig(), () => {}, () => {})) as StepError;
  t.equal(err.step, 'hostname');
  t.notOk(f.calls.some((c) => c.name === 'mountSetattr' && c.args[4] === '/'));
});

t.test('--no-pivot moves the rootfs over / and chroots instead', async (t) => {
  const f = fakeHost();
  buildContainer(f.sys, { ...typicalConfig(), noPivot: true }, () => {}, () => {});
  t.notOk(f.calls.some((c) => c.name === 'pivotRoot'));
  const i = f.calls.findIndex((c) => c.name === 'chdir' && c.args[0] === ROOTFS);
  t.same(f.calls.slice(i, i + 4).map((c) => `${c.name} ${String(c.args[0])}`), [`chdir ${ROOTFS}`, `mount ${ROOTFS}`, 'chroot .', 'chdir /']);
});
