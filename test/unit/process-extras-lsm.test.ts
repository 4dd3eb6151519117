// src/security/lsm.ts: host LSM detection (against fake sysfs files), refusal by pointer when the
// LSM is absent, the `context=` mount option for linux.mountLabel, and the write path of the exec
// attributes pointed at plain files standing in for /proc/thread-self/attr.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnsupportedError } from '../../src/errors';
import {
  applyApparmorProfile, applyProcessLabels, applySelinuxLabel, labelMounts, lsmStatus, refuseUnavailableLsm, writeAttr,
  type AttrPaths, type LsmPaths,
} from '../../src/security/lsm';
import { convertSpec } from '../../src/spec/convert';
import type { InitMount } from '../../src/stage-config/init-config';
import { SPEC_VERSION } from '../../src/spec/version';

function tmp(t: Test): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-lsm-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('lsmStatus reads the module switch, securityfs and selinuxfs', async (t) => {
  const d = tmp(t);
  const paths: LsmPaths = {
    apparmorEnabled: path.join(d, 'aa-enabled'),
    apparmorSecurityfs: path.join(d, 'aa-securityfs'),
    selinuxEnforce: path.join(d, 'selinux-enforce'),
  };
  t.same(lsmStatus(paths), { apparmor: false, selinux: false }, 'nothing there');
  fs.writeFileSync(paths.apparmorEnabled, 'Y\n');
  t.same(lsmStatus(paths), { apparmor: false, selinux: false }, 'Y without securityfs is not enough (runc)');
  fs.mkdirSync(paths.apparmorSecurityfs);
  t.same(lsmStatus(paths), { apparmor: true, selinux: false });
  fs.writeFileSync(paths.apparmorEnabled, 'N\n');
  t.same(lsmStatus(paths), { apparmor: false, selinux: false }, 'module loaded but disabled');
  fs.writeFileSync(paths.selinuxEnforce, '0');
  t.same(lsmStatus(paths), { apparmor: false, selinux: true }, 'permissive SELinux is still enabled');
});

t.test('labels for an LSM the host lacks are refused by pointer', async (t) => {
  const spec = (p: object, l: object = {}) => ({ ociVersion: SPEC_VERSION, process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 }, ...p }, linux: l }) as never;
  const none = { apparmor: false, selinux: false };
  const cases: Array<[object, object, string]> = [
    [{ apparmorProfile: 'docker-default' }, {}, '/process/apparmorProfile: cannot be applied: AppArmor is not enabled on this host'],
    [{ selinuxLabel: 'system_u:system_r:container_t:s0' }, {}, '/process/selinuxLabel: cannot be applied: SELinux is not enabled on this host'],
    [{}, { mountLabel: 'system_u:object_r:container_file_t:s0' }, '/linux/mountLabel: cannot be applied: SELinux is not enabled on this host'],
  ];
  for (const [p, l, msg] of cases) {
    t.throws(() => refuseUnavailableLsm(spec(p, l), none), new UnsupportedError(msg.split(': ')[0], msg.slice(msg.indexOf(': ') + 2)));
  }
  t.doesNotThrow(() => refuseUnavailableLsm(spec({ apparmorProfile: '', selinuxLabel: '' }, { mountLabel: '' }), none), 'empty = unset');
  t.doesNotThrow(() => refuseUnavailableLsm(spec({ apparmorProfile: 'p' }), { apparmor: true, selinux: false }));
  t.doesNotThrow(() => refuseUnavailableLsm(spec({ selinuxLabel: 'l' }, { mountLabel: 'm' }), { apparmor: false, selinux: true }));
});

t.test('mountLabel: context="..." on the mounts that take it', async (t) => {
  const m = (destination: string, type: string, options: string[] = []): InitMount => ({ destination, type, source: type, options });
  const mounts = [
    m('/proc', 'proc'), m('/dev', 'tmpfs', ['nosuid', 'mode=755']), m('/dev/pts', 'devpts', ['newinstance']),
    m('/dev/shm', 'tmpfs'), m('/dev/mqueue', 'mqueue'), m('/sys', 'sysfs'), m('/sys/fs/cgroup', 'cgroup'),
    m('/data', 'bind', ['rbind']), m('/x', 'none', ['bind']), m('/y', 'tmpfs', ['context="other"']),
  ];
  const label = 'system_u:object_r:container_file_t:s0:c1,c2';
  const out = labelMounts(mounts, label);
  const labelled = out.filter((x) => x.options.includes(`context="${label}"`)).map((x) => x.destination);
  t.same(labelled, ['/dev', '/dev/pts', '/dev/shm'], 'tmpfs and devpts; not proc, sysfs, cgroup, mqueue, binds, or an explicit context');
  t.same(out[1].options, ['nosuid', 'mode=755', `context="${label}"`], 'appended after the configured options');
  t.same(mounts[1].options, ['nosuid', 'mode=755'], 'input not mutated');
  t.equal(labelMounts(mounts, undefined), mounts);
  t.equal(labelMounts(mounts, ''), mounts);
});

t.test('convertSpec: labels pass through when the LSM is there', async (t) => {
  const spec = {
    ociVersion: SPEC_VERSION,
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 }, apparmorProfile: 'tsrun-test', selinuxLabel: 'system_u:system_r:container_t:s0' },
    mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] }],
    linux: { namespaces: [{ type: 'mount' }], mountLabel: 'system_u:object_r:container_file_t:s0' },
  } as never;
  const c = convertSpec(spec, 'x', '/b', '/b/rootfs', { apparmor: true, selinux: true });
  t.equal(c.init.process?.apparmorProfile, 'tsrun-test');
  t.equal(c.init.process?.selinuxLabel, 'system_u:system_r:container_t:s0');
  t.same(c.init.mounts[0].options, ['nosuid', 'context="system_u:object_r:container_file_t:s0"']);
  t.throws(() => convertSpec(spec, 'x', '/b', '/b/rootfs', { apparmor: false, selinux: true }), /\/process\/apparmorProfile: cannot be applied/);
});

t.test('exec attributes are written whole to the target given', async (t) => {
  const d = tmp(t);
  const paths: AttrPaths = { apparmorExec: path.join(d, 'apparmor-exec'), exec: path.join(d, 'exec') };
  fs.writeFileSync(paths.exec, '');
  // Without attr/apparmor/ (AppArmor before LSM stacking), the shared attr/exec takes "exec <profile>".
  applyApparmorProfile('docker-default', paths);
  t.equal(fs.readFileSync(paths.exec, 'utf8'), 'exec docker-default');
  // With it, AppArmor's own file is used and the shared one is left alone.
  fs.writeFileSync(paths.apparmorExec, '');
  fs.writeFileSync(paths.exec, '');
  applyApparmorProfile('tsrun-profile', paths);
  t.equal(fs.readFileSync(paths.apparmorExec, 'utf8'), 'exec tsrun-profile');
  t.equal(fs.readFileSync(paths.exec, 'utf8'), '');
  applySelinuxLabel('system_u:system_r:container_t:s0:c1,c2', paths);
  t.equal(fs.readFileSync(paths.exec, 'utf8'), 'system_u:system_r:container_t:s0:c1,c2', 'the label as is, no newline');

  fs.writeFileSync(paths.apparmorExec, '');
  fs.writeFileSync(paths.exec, '');
  applyProcessLabels({}, paths);
  t.equal(fs.readFileSync(paths.exec, 'utf8') + fs.readFileSync(paths.apparmorExec, 'utf8'), '', 'nothing set, nothing written');
  applyProcessLabels({ apparmorProfile: 'a', selinuxLabel: 's' }, paths);
  t.equal(fs.readFileSync(paths.apparmorExec, 'utf8'), 'exec a');
  t.equal(fs.readFileSync(paths.exec, 'utf8'), 's');
});

t.test('a target that cannot be written fails with the profile and the path', async (t) => {
  const d = tmp(t);
  const missing: AttrPaths = { apparmorExec: path.join(d, 'no', 'apparmor-exec'), exec: path.join(d, 'no', 'exec') };
  t.throws(() => applyApparmorProfile('p1', missing), /apparmor: cannot set profile "p1" for exec \(.*\/no\/exec\): ENOENT/);
  t.throws(() => applySelinuxLabel('l1', missing), /selinux: cannot set exec label "l1" \(.*\/no\/exec\): ENOENT/);
  // writeAttr never creates or truncates: procfs attr files exist already.
  t.throws(() => writeAttr(path.join(d, 'absent'), 'x'), /ENOENT/);
  t.notOk(fs.existsSync(path.join(d, 'absent')));
});
