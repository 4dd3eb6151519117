// Owns: the Linux ABI numbers tsrun passes to the kernel (flags, option codes and syscall
// numbers), for x86_64 ('x64') and aarch64 ('arm64'). Pure data: no koffi, no I/O.
//
// Where the values come from (why they can be trusted): the uapi headers of linux-libc-dev
// 6.1 on Debian 12: linux/mount.h, linux/fcntl.h, linux/openat2.h, linux/sched.h,
// linux/prctl.h, linux/capability.h, linux/close_range.h, asm-generic/fcntl.h,
// asm/unistd_64.h (x86_64) and, for arm64, linux-libc-dev-arm64-cross's asm/fcntl.h +
// asm-generic/unistd.h. Every x86_64 value here was checked against those headers with a C
// program printing each macro (test/unit/constants.test.ts does this again whenever a C
// compiler is present), and the arm64 syscall/open-flag tables with `cpp -dM` on the
// cross headers.
//
// Arch-independent values are flat exports named as in C. The two groups that differ
// between x86_64 and arm64 (open(2) flags and syscall numbers) are objects, `O` and `SYS`,
// chosen by process.arch; on any other arch reading them throws instead of handing the
// kernel a wrong number.
import { RuntimeError } from '../errors';

// ---- mount(2) flags (linux/mount.h). All fit in 31 bits, so JS `|` keeps them positive. ----
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOSYMFOLLOW = 0x100; // since Linux 5.10
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_SILENT = 0x8000;
export const MS_POSIXACL = 1 << 16;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_KERNMOUNT = 1 << 22;
export const MS_I_VERSION = 1 << 23;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;

// ---- umount2(2) flags (glibc sys/mount.h; the kernel's include/linux/fs.h). ----
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
export const MNT_EXPIRE = 0x4;
export const UMOUNT_NOFOLLOW = 0x8;

// ---- mount_setattr(2) attributes (linux/mount.h, struct mount_attr). ----
export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
/** The atime *field* (a 2-bit enum, not flags): mount_setattr(2) wants all of it in attr_clr to change it. */
export const MOUNT_ATTR__ATIME = 0x70;
export const MOUNT_ATTR_RELATIME = 0x0;
export const MOUNT_ATTR_NOATIME = 0x10;
export const MOUNT_ATTR_STRICTATIME = 0x20;
export const MOUNT_ATTR_NODIRATIME = 0x80;
export const MOUNT_ATTR_IDMAP = 0x100000; // since Linux 5.12
export const MOUNT_ATTR_NOSYMFOLLOW = 0x200000; // since Linux 5.14
/** sizeof(struct mount_attr) version 0 (attr_set, attr_clr, propagation, userns_fd: 4 x u64). */
export const MOUNT_ATTR_SIZE_VER0 = 32;

// ---- *at() flags (linux/fcntl.h). ----
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EMPTY_PATH = 0x1000;
export const AT_RECURSIVE = 0x8000;

// ---- open_tree(2) / move_mount(2) (linux/mount.h). OPEN_TREE_CLOEXEC is O_CLOEXEC, equal on both arches. ----
export const OPEN_TREE_CLONE = 0x1;
export const OPEN_TREE_CLOEXEC = 0o2000000;
export const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
export const MOVE_MOUNT_T_EMPTY_PATH = 0x40;

// ---- openat2(2) resolve flags (linux/openat2.h). ----
export const RESOLVE_NO_XDEV = 0x1;
export const RESOLVE_NO_MAGICLINKS = 0x2;
export const RESOLVE_NO_SYMLINKS = 0x4;
export const RESOLVE_BENEATH = 0x8;
export const RESOLVE_IN_ROOT = 0x10;
export const RESOLVE_CACHED = 0x20;

// ---- File types of st_mode (linux/stat.h). ----
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

// ---- clone(2)/unshare(2)/setns(2) flags (linux/sched.h). ----
export const CLONE_NEWTIME = 0x80; // since Linux 5.6
export const CLONE_FS = 0x200;
export const CLONE_FILES = 0x400;
export const CLONE_NEWNS = 0x20000;
export const CLONE_NEWCGROUP = 0x2000000;
export const CLONE_NEWUTS = 0x4000000;
export const CLONE_NEWIPC = 0x8000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

// ---- prctl(2) options (linux/prctl.h). ----
export const PR_SET_PDEATHSIG = 1;
export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_SET_KEEPCAPS = 8;
export const PR_SET_NAME = 15;
export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_IS_SET = 1;
export const PR_CAP_AMBIENT_RAISE = 2;
export const PR_CAP_AMBIENT_LOWER = 3;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

// ---- fcntl(2) (asm-generic/fcntl.h) and close_range(2) (linux/close_range.h). ----
export const F_GETFD = 1;
export const F_SETFD = 2;
export const FD_CLOEXEC = 1;
export const F_DUPFD_CLOEXEC = 1030;
export const CLOSE_RANGE_UNSHARE = 0x2;
export const CLOSE_RANGE_CLOEXEC = 0x4; // since Linux 5.11

// ---- poll(2) events (asm-generic/poll.h). ----
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

// ---- sigprocmask(2) `how` (asm-generic/signal-defs.h; x86_64 uses the same values). ----
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

// ---- capget(2)/capset(2) (linux/capability.h): version 3 takes two 32-bit data words. ----
export const _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
export const _LINUX_CAPABILITY_U32S_3 = 2;

// ---- Per-architecture tables. ----
export type Arch = 'x64' | 'arm64';
export const SUPPORTED_ARCHES: readonly Arch[] = ['x64', 'arm64'];

export interface OpenFlags {
  readonly RDONLY: number;
  readonly WRONLY: number;
  readonly RDWR: number;
  readonly CREAT: number;
  readonly EXCL: number;
  readonly NOCTTY: number;
  readonly TRUNC: number;
  readonly APPEND: number;
  readonly NONBLOCK: number;
  readonly DIRECTORY: number;
  readonly NOFOLLOW: number;
  readonly CLOEXEC: number;
  readonly PATH: number;
}

// Only O_DIRECTORY and O_NOFOLLOW differ: arm64's asm/fcntl.h overrides the generic values.
const OPEN_COMMON = {
  RDONLY: 0o0, WRONLY: 0o1, RDWR: 0o2, CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400,
  TRUNC: 0o1000, APPEND: 0o2000, NONBLOCK: 0o4000, CLOEXEC: 0o2000000, PATH: 0o10000000,
} as const;
export const OPEN_FLAGS_BY_ARCH: Readonly<Record<Arch, OpenFlags>> = Object.freeze({
  x64: Object.freeze({ ...OPEN_COMMON, DIRECTORY: 0o200000, NOFOLLOW: 0o400000 }),
  arm64: Object.freeze({ ...OPEN_COMMON, DIRECTORY: 0o40000, NOFOLLOW: 0o100000 }),
});

/** Syscalls tsrun calls by number (through syscall(2)) because glibc 2.36 has no wrapper, or a wrapper that hides what we need. */
export interface SyscallNumbers {
  readonly pivot_root: number;
  readonly open_tree: number;
  readonly move_mount: number;
  readonly fsopen: number;
  readonly fsconfig: number;
  readonly fsmount: number;
  readonly mount_setattr: number;
  readonly openat2: number;
  readonly close_range: number;
  readonly capget: number;
  readonly capset: number;
  readonly pidfd_open: number;
  readonly pidfd_send_signal: number;
  readonly setns: number;
  readonly unshare: number;
  readonly sethostname: number;
  readonly setdomainname: number;
  readonly prlimit64: number;
  readonly rt_sigprocmask: number;
  readonly rt_sigaction: number;
  readonly gettid: number;
  readonly personality: number;
  readonly sched_setattr: number;
  readonly ioprio_set: number;
  readonly set_mempolicy: number;
  readonly mknodat: number;
  readonly keyctl: number;
  readonly faccessat2: number;
  readonly seccomp: number;
}

// The syscalls added since Linux 5.1 (424 and up) share one number on every arch; the older
// ones differ because x86_64 kept its own table while arm64 uses asm-generic/unistd.h.
export const SYSCALLS_BY_ARCH: Readonly<Record<Arch, SyscallNumbers>> = Object.freeze({
  x64: Object.freeze({
    pivot_root: 155, open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432,
    mount_setattr: 442, openat2: 437, close_range: 436, capget: 125, capset: 126,
    pidfd_open: 434, pidfd_send_signal: 424, setns: 308, unshare: 272, sethostname: 170,
    setdomainname: 171, prlimit64: 302, rt_sigprocmask: 14, rt_sigaction: 13, gettid: 186,
    personality: 135, sched_setattr: 314, ioprio_set: 251, set_mempolicy: 238, mknodat: 259, keyctl: 250,
    faccessat2: 439, seccomp: 317,
  }),
  arm64: Object.freeze({
    pivot_root: 41, open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432,
    mount_setattr: 442, openat2: 437, close_range: 436, capget: 90, capset: 91,
    pidfd_open: 434, pidfd_send_signal: 424, setns: 268, unshare: 97, sethostname: 161,
    setdomainname: 162, prlimit64: 261, rt_sigprocmask: 135, rt_sigaction: 134, gettid: 178,
    personality: 92, sched_setattr: 274, ioprio_set: 30, set_mempolicy: 237, mknodat: 33, keyctl: 219,
    faccessat2: 439, seccomp: 277,
  }),
});

/** True when `arch` (a process.arch value) has tables here. */
export function isSupportedArch(arch: string): arch is Arch {
  return (SUPPORTED_ARCHES as readonly string[]).includes(arch);
}

/** The host's arch, or null when tsrun has no tables for it. */
export const HOST_ARCH: Arch | null = isSupportedArch(process.arch) ? process.arch : null;

// On an unsupported arch every read throws: a guessed syscall number could call something else entirely.
function unsupportedTable<T extends object>(shape: T, what: string): T {
  const out = {} as T;
  for (const key of Object.keys(shape)) {
    Object.defineProperty(out, key, {
      enumerable: true,
      get(): never {
        throw new RuntimeError('unsupported-arch', `${what} ${key}: tsrun has no table for architecture "${process.arch}" (supported: ${SUPPORTED_ARCHES.join(', ')})`);
      },
    });
  }
  return Object.freeze(out);
}

/** open(2) flags of the host arch. */
export const O: OpenFlags = HOST_ARCH ? OPEN_FLAGS_BY_ARCH[HOST_ARCH] : unsupportedTable(OPEN_FLAGS_BY_ARCH.x64, 'O_');
/** Syscall numbers of the host arch. */
export const SYS: SyscallNumbers = HOST_ARCH ? SYSCALLS_BY_ARCH[HOST_ARCH] : unsupportedTable(SYSCALLS_BY_ARCH.x64, 'syscall');
