// linux.seccomp -> libseccomp filter, without root: compiling and exporting BPF needs no
// privilege, only loading does (test/integration/seccomp.test.ts loads them for real).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { SpecError } from '../../src/errors';
import * as scmp from '../../src/sys/libseccomp';
import { connectUnix, scmRights, sendWithFds } from '../../src/sys/unix-socket';
import { close } from '../../src/sys/libc';
import {
  actionValue, archLibName, checkSeccomp, compileSeccomp, listenerMessage, SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPERATORS,
} from '../../src/security/seccomp';
import { seccompFeatures } from '../../src/security/seccomp-features';
import type { LinuxSeccomp } from '../../src/spec/types';
import { SPEC_VERSION } from '../../src/spec/version';

const skip = scmp.available() ? false : 'libseccomp.so.2 is not installed';

/** The compiled program's bytes (seccomp_export_bpf). */
function bpf(s: LinuxSeccomp): Buffer {
  const f = compileSeccomp(s);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bpf-'));
  try {
    const fd = fs.openSync(path.join(dir, 'bpf'), 'w+');
    scmp.exportBpf(f.ctx, fd);
    fs.closeSync(fd);
    return fs.readFileSync(path.join(dir, 'bpf'));
  } finally {
    scmp.release(f.ctx);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function pointerOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpecError) return e.pointer;
    throw e;
  }
  return undefined;
}

t.test('action values (seccomp.h) and errnoRet', async (t) => {
  t.equal(actionValue('SCMP_ACT_ERRNO', undefined, '/a', '/e'), 0x00050001, 'ERRNO defaults to EPERM');
  t.equal(actionValue('SCMP_ACT_ERRNO', 38, '/a', '/e'), 0x00050026);
  t.equal(actionValue('SCMP_ACT_TRACE', 5, '/a', '/e'), 0x7ff00005);
  t.equal(actionValue('SCMP_ACT_TRACE', undefined, '/a', '/e'), 0x7ff00001, 'TRACE defaults to EPERM too (runc)');
  t.equal(actionValue('SCMP_ACT_KILL_PROCESS', undefined, '/a', '/e'), 0x80000000);
  t.equal(actionValue('SCMP_ACT_ALLOW', undefined, '/a', '/e'), 0x7fff0000);
  for (const a of ['SCMP_ACT_ALLOW', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'] as const) {
    t.equal(pointerOf(() => actionValue(a, 1, '/a', '/x/errnoRet')), '/x/errnoRet', `errnoRet refused with ${a}`);
  }
  t.equal(pointerOf(() => actionValue('SCMP_ACT_ERRNO', 70000, '/a', '/x/errnoRet')), '/x/errnoRet', 'errno above 16 bits');
  t.equal(Object.keys(SECCOMP_ACTIONS).length, 9, 'every action of the spec');
  t.equal(Object.keys(SECCOMP_OPERATORS).length, 7, 'every operator of the spec');
  t.equal(Object.keys(SECCOMP_FLAGS).length, 4, 'every flag of the spec');
  t.equal(archLibName('SCMP_ARCH_X86_64'), 'x86_64');
  t.equal(archLibName('SCMP_ARCH_MIPSEL64N32'), 'mipsel64n32');
});

t.test('a profile compiles; rules change the program; unknown names are skipped', { skip }, async (t) => {
  const allowAll = bpf({ defaultAction: 'SCMP_ACT_ALLOW' });
  const denyMkdir = bpf({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirat'], action: 'SCMP_ACT_ERRNO' }] });
  t.ok(allowAll.length > 0 && allowAll.length % 8 === 0, 'a BPF program (8-byte instructions)');
  t.ok(denyMkdir.length > allowAll.length, 'a rule adds instructions');
  const withUnknown = bpf({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirat', 'no_such_syscall_tsrun'], action: 'SCMP_ACT_ERRNO' }] });
  t.same(withUnknown, denyMkdir, 'an unknown name adds nothing');
  t.same(checkSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_syscall_tsrun', 'getpid'], action: 'SCMP_ACT_LOG' }] }).skipped,
    ['no_such_syscall_tsrun']);
  // A rule with the default action is a no-op (libseccomp would refuse it with EACCES).
  t.same(bpf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }] }),
    bpf({ defaultAction: 'SCMP_ACT_ERRNO' }), 'rule equal to the default is skipped');
  t.notSame(bpf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 }] }),
    bpf({ defaultAction: 'SCMP_ACT_ERRNO' }), 'ERRNO(2) differs from the default ERRNO(1)');
  const arches = bpf({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }] });
  t.ok(arches.length > denyMkdir.length, 'more architectures, more program');
});

t.test('argument conditions: every operator; same index split into rules, different indices ANDed', { skip }, async (t) => {
  for (const op of Object.keys(SECCOMP_OPERATORS) as Array<keyof typeof SECCOMP_OPERATORS>) {
    t.doesNotThrow(() => checkSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, valueTwo: 8, op }] }] }), op);
  }
  const sameIndex = { defaultAction: 'SCMP_ACT_ALLOW' as const, syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO' as const, args: [
    { index: 0, value: 8, op: 'SCMP_CMP_EQ' as const }, { index: 0, value: 9, op: 'SCMP_CMP_EQ' as const }] }] };
  // Put in one rule, libseccomp refuses two conditions on one argument: compiling proves the split.
  t.doesNotThrow(() => checkSeccomp(sameIndex), 'two conditions on arg 0 compile');
  t.throws(() => scmpRuleWithBoth(), 'control: libseccomp refuses them in a single rule');
  const anded = bpf({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [
    { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] }] });
  const single = bpf({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [
    { index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }] });
  t.ok(anded.length > single.length, 'the second condition is in the program');
  t.equal(pointerOf(() => checkSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] })),
    '/linux/seccomp/syscalls/0/args/0/index');
  t.equal(pointerOf(() => checkSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] })),
    '/linux/seccomp/syscalls/0/args/0/value');
});

function scmpRuleWithBoth(): void {
  const ctx = scmp.init(0x7fff0000);
  if (!ctx) throw new Error('init');
  try {
    scmp.ruleAdd(ctx, 0x00050001, scmp.syscallResolveName('personality'), [
      { arg: 0, op: 4, datumA: 8n, datumB: 0n }, { arg: 0, op: 4, datumA: 9n, datumB: 0n }]);
  } finally {
    scmp.release(ctx);
  }
}

t.test('refusals name the field', { skip }, async (t) => {
  const p = (s: unknown) => pointerOf(() => checkSeccomp(s as LinuxSeccomp));
  t.equal(p({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x' }), '/linux/seccomp/defaultAction');
  t.equal(p({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_NOTIFY' }] }), '/linux/seccomp/listenerPath');
  t.equal(p({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x', syscalls: [{ names: ['sendmsg'], action: 'SCMP_ACT_NOTIFY' }] }), '/linux/seccomp/syscalls/0/names');
  t.equal(p({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_NOTIFY' }] }), undefined, 'NOTIFY with a listener compiles');
  t.equal(p({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_BOGUS'] }), '/linux/seccomp/architectures/1');
  if (scmp.archNative() === scmp.archResolveName('x86_64')) {
    t.equal(p({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_S390X'] }), '/linux/seccomp/architectures/0', 'big-endian arch next to x86_64 (EDOM)');
  }
  t.equal(p({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_BOGUS' }] }), '/linux/seccomp/syscalls/0/action');
  t.equal(p({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }), '/linux/seccomp/flags/0');
  t.equal(p({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }), undefined, 'the flags libseccomp 2.5 has');
  const v = scmp.version();
  const waitKill = p({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] });
  if (v.major === 2 && v.minor < 6) t.equal(waitKill, '/linux/seccomp/flags/0', 'WAIT_KILLABLE_RECV needs libseccomp 2.6');
});

t.test('the listener message (config-linux.md containerProcessState)', async (t) => {
  const m = JSON.parse(listenerMessage({
    state: { ociVersion: SPEC_VERSION, id: 'c1', bundle: '/b', annotations: { a: 'b' } }, metadata: 'md', hostPid: 4242,
  }, 'created'));
  t.same(m, {
    ociVersion: SPEC_VERSION, fds: ['seccompFd'], pid: 4242, metadata: 'md',
    state: { ociVersion: SPEC_VERSION, id: 'c1', status: 'created', pid: 4242, bundle: '/b', annotations: { a: 'b' } },
  });
  t.equal(JSON.parse(listenerMessage({ state: { ociVersion: SPEC_VERSION, id: 'c', bundle: '/b' }, hostPid: 1 }, 'creating')).metadata, '');
});

t.test("the listener's state carries tsrun's spec version, not the config's (runc: specs.Version)", { skip }, async (t) => {
  const { seccompFor } = await import('../../src/spec/convert-seccomp');
  const s = seccompFor({ ociVersion: '1.0.0', root: { path: 'rootfs' }, linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } } }, 'c1', '/b');
  t.equal(s?.state.ociVersion, SPEC_VERSION);
});

t.test('SCM_RIGHTS control message layout (cmsg(3), LP64)', async (t) => {
  const b = scmRights([7]);
  t.equal(b.length, 24, 'CMSG_SPACE(sizeof(int))');
  t.equal(b.readBigUInt64LE(0), 20n, 'cmsg_len = CMSG_LEN(4)');
  t.equal(b.readInt32LE(8), 1, 'SOL_SOCKET');
  t.equal(b.readInt32LE(12), 1, 'SCM_RIGHTS');
  t.equal(b.readInt32LE(16), 7);
  t.equal(scmRights([3, 4]).length, 24, 'two fds still fit CMSG_SPACE(8)');
});

t.test('connectUnix + sendWithFds deliver the bytes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sockPath = path.join(dir, 's');
  let got = '';
  const done = new Promise<void>((res) => {
    const srv = net.createServer((c) => {
      c.on('data', (d) => (got += d.toString()));
      c.on('end', () => {
        srv.close();
        res();
      });
    });
    srv.listen(sockPath);
  });
  await new Promise((r) => setTimeout(r, 50));
  const fd = connectUnix(sockPath);
  const passed = fs.openSync(__filename, 'r');
  sendWithFds(fd, Buffer.from('{"hello":1}'), [passed]);
  close(passed);
  close(fd);
  await done;
  t.equal(got, '{"hello":1}');
  t.throws(() => connectUnix(path.join(dir, 'missing')), /connect .*ENOENT/);
});

t.test('features: what libseccomp accepts here', { skip }, async (t) => {
  const f = seccompFeatures();
  t.equal(f.enabled, true);
  t.same(f.knownFlags, Object.keys(SECCOMP_FLAGS));
  t.ok(f.supportedFlags?.every((x) => f.knownFlags?.includes(x)), 'supported ⊆ known');
  t.ok(f.supportedFlags?.includes('SECCOMP_FILTER_FLAG_TSYNC'));
  t.ok(f.actions?.includes('SCMP_ACT_ERRNO') && f.actions.includes('SCMP_ACT_ALLOW'));
  t.same(f.operators, Object.keys(SECCOMP_OPERATORS));
  t.ok(f.archs?.includes('SCMP_ARCH_X86_64'));
  for (const a of f.archs ?? []) t.doesNotThrow(() => checkSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [a] }), `${a} is usable`);
  for (const fl of f.supportedFlags ?? []) t.doesNotThrow(() => checkSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: [fl as never] }), `${fl} is usable`);
});

t.test('clone3 gets ENOSYS from a denying profile that names it nowhere (seccomp-enosys.ts)', { skip }, async (t) => {
  const landlock = { names: ['landlock_create_ruleset', 'clone'], action: 'SCMP_ACT_ALLOW' as const };
  const explicit = { names: ['clone3'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 38 };
  t.same(bpf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [landlock] }), bpf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [landlock, explicit] }),
    'the same program as a profile that says clone3: ENOSYS');
  t.notSame(bpf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [landlock, { names: ['clone3'], action: 'SCMP_ACT_KILL_PROCESS' }] }),
    bpf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [landlock] }), 'a profile that names clone3 is taken at its word');
  t.notSame(bpf({ defaultAction: 'SCMP_ACT_ALLOW' }), bpf({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [explicit] }),
    'nothing added when the default allows: clone3 runs unless named');
  t.doesNotThrow(() => bpf({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }),
    'a default of ENOSYS needs no rule (libseccomp refuses a rule equal to the default)');
});
