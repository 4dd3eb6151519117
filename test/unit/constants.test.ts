// Tests for src/sys/constants.ts: spot checks against known kernel values, Node's own
// constants, and (when a C compiler and the kernel headers are present) every exported value
// against the headers of the host arch.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { constants as fsConstants, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as C from '../../src/sys/constants';

t.test('spot checks of well-known values', async (t) => {
  t.equal(C.MS_RDONLY, 1);
  t.equal(C.MS_BIND, 4096);
  t.equal(C.MS_REC, 16384);
  t.equal(C.MS_PRIVATE, 262144);
  t.equal(C.MS_SLAVE, 524288);
  t.equal(C.MS_SHARED, 1048576);
  t.equal(C.MS_BIND | C.MS_REC, 0x5000);
  t.equal(C.MNT_DETACH, 2);
  t.equal(C.MOUNT_ATTR__ATIME, 0x70);
  t.equal(C.MOUNT_ATTR_IDMAP, 0x100000);
  t.equal(C.AT_FDCWD, -100);
  t.equal(C.AT_RECURSIVE, 0x8000);
  t.equal(C.OPEN_TREE_CLOEXEC, C.OPEN_FLAGS_BY_ARCH.x64.CLOEXEC);
  t.equal(C.OPEN_TREE_CLOEXEC, C.OPEN_FLAGS_BY_ARCH.arm64.CLOEXEC);
  t.equal(C.CLONE_NEWNS, 0x20000);
  t.equal(C.CLONE_NEWUSER, 0x10000000);
  t.equal(C.CLONE_NEWNET, 0x40000000);
  t.ok((C.CLONE_NEWNS | C.CLONE_NEWCGROUP | C.CLONE_NEWUTS | C.CLONE_NEWIPC | C.CLONE_NEWUSER | C.CLONE_NEWPID | C.CLONE_NEWNET | C.CLONE_NEWTIME) > 0,
    'all namespace flags OR-ed stay a positive int32');
  t.equal(C.PR_SET_NO_NEW_PRIVS, 38);
  t.equal(C.PR_CAP_AMBIENT, 47);
  t.equal(C._LINUX_CAPABILITY_VERSION_3, 0x20080522);
  t.equal(C.F_DUPFD_CLOEXEC, 1030);
  t.equal(C.CLOSE_RANGE_CLOEXEC, 4);
  t.equal(C.S_IFDIR, 0o040000);
});

t.test('per-arch syscall tables', async (t) => {
  const x64 = C.SYSCALLS_BY_ARCH.x64;
  const arm64 = C.SYSCALLS_BY_ARCH.arm64;
  t.same(Object.keys(x64).sort(), Object.keys(arm64).sort(), 'both arches define the same syscalls');
  t.equal(x64.pivot_root, 155);
  t.equal(arm64.pivot_root, 41);
  t.equal(x64.unshare, 272);
  t.equal(arm64.unshare, 97);
  t.equal(x64.setns, 308);
  t.equal(arm64.setns, 268);
  // Syscalls added since Linux 5.1 have one number everywhere.
  for (const name of ['pidfd_send_signal', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'pidfd_open', 'close_range', 'openat2', 'mount_setattr'] as const) {
    t.equal(x64[name], arm64[name], name);
    t.ok(x64[name] >= 424, name);
  }
  t.equal(C.OPEN_FLAGS_BY_ARCH.x64.DIRECTORY, 0o200000);
  t.equal(C.OPEN_FLAGS_BY_ARCH.arm64.DIRECTORY, 0o40000);
  t.equal(C.OPEN_FLAGS_BY_ARCH.arm64.NOFOLLOW, 0o100000);
});

t.test('host tables follow process.arch', async (t) => {
  if (C.HOST_ARCH === null) {
    t.throws(() => C.SYS.pivot_root, { code: 'unsupported-arch' });
    t.throws(() => C.O.DIRECTORY, { code: 'unsupported-arch' });
    return;
  }
  t.equal(C.HOST_ARCH, process.arch);
  t.equal(C.SYS, C.SYSCALLS_BY_ARCH[C.HOST_ARCH]);
  t.equal(C.O, C.OPEN_FLAGS_BY_ARCH[C.HOST_ARCH]);
  t.ok(C.isSupportedArch('x64'));
  t.notOk(C.isSupportedArch('ia32'));
  // Node's fs.constants come from the same libc headers the host binary was built against.
  const fsc = fsConstants as unknown as Record<string, number>;
  for (const key of ['RDONLY', 'WRONLY', 'RDWR', 'CREAT', 'EXCL', 'NOCTTY', 'TRUNC', 'APPEND', 'NONBLOCK', 'DIRECTORY', 'NOFOLLOW'] as const) {
    t.equal(C.O[key], fsc[`O_${key}`], `O_${key}`);
  }
  for (const key of ['S_IFMT', 'S_IFSOCK', 'S_IFLNK', 'S_IFREG', 'S_IFBLK', 'S_IFDIR', 'S_IFCHR', 'S_IFIFO'] as const) {
    t.equal(C[key], fsc[key], key);
  }
});

// --- Every value against the C headers, when they can be compiled here. ---
const haveCc = spawnSync('cc', ['--version']).status === 0 && existsSync('/usr/include/linux/mount.h');
const flat = Object.entries(C).filter((e): e is [string, number] => typeof e[1] === 'number' && /^[A-Z_][A-Z0-9_]*$/.test(e[0]));
// umount2 flags live only in glibc's <sys/mount.h>, which clashes with <linux/mount.h> in glibc 2.36.
const inSysMount = (name: string): boolean => name.startsWith('MNT_') || name === 'UMOUNT_NOFOLLOW';

function cProgram(includes: string[], macros: string[]): string {
  const lines = macros.map((m) => `#ifdef ${m}\n  printf("%s %lld\\n", "${m}", (long long)(${m}));\n#else\n  printf("%s MISSING\\n", "${m}");\n#endif`);
  return ['#define _GNU_SOURCE', '#include <stdio.h>', ...includes.map((i) => `#include <${i}>`), 'int main(void) {', ...lines, '  return 0;', '}', ''].join('\n');
}

t.test('every value matches the host kernel headers', { skip: haveCc && C.HOST_ARCH ? false : 'no C compiler, kernel headers or supported arch' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-constants-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const expected = new Map<string, number>();
  for (const [name, value] of flat) expected.set(name, value);
  for (const [name, value] of Object.entries(C.O)) expected.set(`O_${name}`, value);
  for (const [name, value] of Object.entries(C.SYS)) expected.set(`__NR_${name}`, value);
  const names = [...expected.keys()];
  const programs: Array<[string, string[], string[]]> = [
    ['linux', ['fcntl.h', 'sched.h', 'signal.h', 'sys/stat.h', 'sys/syscall.h', 'sys/prctl.h', 'linux/capability.h', 'linux/mount.h', 'linux/openat2.h', 'linux/close_range.h', 'poll.h'],
      names.filter((n) => !inSysMount(n))],
    ['sysmount', ['sys/mount.h'], names.filter(inSysMount)],
  ];
  const seen = new Map<string, string>();
  for (const [base, includes, macros] of programs) {
    const src = join(dir, `${base}.c`);
    const exe = join(dir, base);
    writeFileSync(src, cProgram(includes, macros));
    const cc = spawnSync('cc', ['-o', exe, src], { encoding: 'utf8' });
    t.equal(cc.status, 0, `${base}.c compiles`, { stderr: cc.stderr });
    if (cc.status !== 0) continue;
    const run = spawnSync(exe, [], { encoding: 'utf8' });
    for (const line of run.stdout.trim().split('\n')) {
      const [name, value] = line.split(' ');
      seen.set(name, value);
    }
  }
  for (const [name, value] of expected) t.equal(seen.get(name), String(value), name);
});
