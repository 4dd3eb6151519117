// Test double: a recording `Sys` (src/sys/sys.ts), the way youki's syscall/test.rs records its
// syscalls, and the syscall counterpart of fake-cgroupfs.ts. Every call is logged in order with
// its arguments (failed ones too), and a test can make any call fail with an errno or answer
// with a result of its own. Nothing reaches the kernel, so the order of the stage steps can be
// unit-tested without root.
//
// It keeps just enough state to let the code under test run its usual path:
//   - each open/openat/openat2/pidfdOpen returns a new fd (from 100), remembering the path it
//     names, so readlink("/proc/self/fd/N") and stat("/proc/self/fd/N") answer for that path,
//     and each logged call also has its arguments with /proc/self/fd/N resolved (`resolved`);
//   - close forgets the fd (`openFds()` lists the fds the code left open);
//   - readFile answers from `files` (ENOENT otherwise); stat/fstat from `stats`, else a regular
//     file for a path in `files` and a directory for anything else;
//   - capget reports `caps` (default: every capability up to 40 in all three sets).
// Used only by tests.
import os = require('node:os');
import path = require('node:path');
import { SyscallError } from '../../src/errors';
import type { CapSets } from '../../src/sys/libc';
import type { FileStat, Sys } from '../../src/sys/sys';
import { S_IFCHR, S_IFDIR, S_IFREG } from '../../src/sys/constants';
import { makedev } from '../../src/linux/devices';

export type SysName = keyof Sys;

export interface SysCall {
  name: SysName | 'note';
  args: unknown[];
  /** `args` with each /proc/self/fd/N replaced by the path that fd was opened for, at the time of the call. */
  resolved: unknown[];
  /** The errno name when the call failed. */
  failed?: string;
}

interface Rule {
  name: SysName;
  match: (...args: unknown[]) => boolean;
  errno?: number;
  result?: (...args: unknown[]) => unknown;
  /** Calls left that the rule applies to (Infinity: every matching call). */
  times: number;
}

/** Which argument names the file in the SyscallError, as libc.ts reports it (`where` first). */
const PATH_ARG: Partial<Record<SysName, (a: unknown[]) => unknown>> = {
  mount: (a) => a[1], umount2: (a) => a[0], pivotRoot: (a) => a[0], chroot: (a) => a[0], chdir: (a) => a[0],
  mountSetattr: (a) => a[4] ?? a[1], openTree: (a) => a[3] ?? a[1], moveMount: (a) => a[5] ?? a[3], open: (a) => a[0], openat: (a) => a[4] ?? a[1], openat2: (a) => a[5] ?? a[1],
  mkdirat: (a) => a[3] ?? a[1], mknodat: (a) => a[4] ?? a[1], symlinkat: (a) => a[3] ?? a[2], fchownat: (a) => a[5] ?? a[1],
  setns: (a) => a[2], readFile: (a) => a[0], writeFile: (a) => a[0], stat: (a) => a[0], readlink: (a) => a[0], chmod: (a) => a[0],
};
/** The syscall's own name where the method's differs (SyscallError.syscall, as libc.ts says it). */
const SYSCALL_NAME: Partial<Record<SysName, string>> = {
  pivotRoot: 'pivot_root', mountSetattr: 'mount_setattr', openTree: 'open_tree', moveMount: 'move_mount', joinSessionKeyring: 'keyctl', schedSetattr: 'sched_setattr',
  ioprioSet: 'ioprio_set', setMempolicy: 'set_mempolicy', schedSetaffinity: 'sched_setaffinity', pidfdOpen: 'pidfd_open',
  seccompSetFilter: 'seccomp', closeRange: 'close_range', prlimit: 'prlimit', readFile: 'open', writeFile: 'write',
};

const ALL_CAPS: [number, number] = [0xffffffff, 0x1ff]; // 0..40

function errnoNumber(code: string): number {
  const n = (os.constants.errno as Record<string, number>)[code];
  if (n === undefined) throw new Error(`unknown errno ${code}`);
  return n;
}

export class FakeSys {
  readonly calls: SysCall[] = [];
  /** readFile contents by path. */
  readonly files = new Map<string, string>();
  /** stat/fstat answers by path. */
  readonly stats = new Map<string, FileStat>([['/dev/null', { mode: S_IFCHR | 0o666, rdev: makedev(1, 3) }]]);
  caps: CapSets = { effective: [...ALL_CAPS], permitted: [...ALL_CAPS], inheritable: [0, 0] };
  private readonly rules: Rule[] = [];
  private readonly fds = new Map<number, string>();
  /** Every fd ever returned, closed ones included (fd numbers are never reused). */
  private readonly opened = new Map<number, string>();
  private nextFd = 100;
  readonly sys: Sys;

  constructor() {
    const fd = (p: string): number => {
      const n = this.nextFd++;
      this.fds.set(n, p);
      this.opened.set(n, p);
      return n;
    };
    const under = (dirfd: number, p: string): string => path.posix.join(this.fds.get(dirfd) ?? '/', p);
    const statOf = (p: string): FileStat => this.stats.get(p) ?? { mode: (this.files.has(p) ? S_IFREG | 0o755 : S_IFDIR | 0o755), rdev: 0n };
    const impl: Sys = {
      prctl: () => 0,
      setresuid: () => {},
      setresgid: () => {},
      setgroups: () => {},
      umask: () => 0o022,
      capget: () => ({ effective: [...this.caps.effective], permitted: [...this.caps.permitted], inheritable: [...this.caps.inheritable] }),
      capset: (s) => {
        this.caps = { effective: [...s.effective], permitted: [...s.permitted], inheritable: [...s.inheritable] };
      },
      prlimit: () => ({ cur: 0n, max: 0n }),
      joinSessionKeyring: () => 1,
      personality: () => 0,
      schedSetattr: () => {},
      ioprioSet: () => {},
      setMempolicy: () => {},
      schedSetaffinity: () => {},
      pidfdOpen: (pid) => fd(`pidfd:${pid}`),
      seccompSetFilter: () => 0,
      unshare: () => {},
      setns: () => {},
      sethostname: () => {},
      setdomainname: () => {},
      mount: () => {},
      umount2: () => {},
      pivotRoot: () => {},
      mountSetattr: () => {},
      // The detached tree stands for its source (what /proc/self/fd/<tree> names after the move).
      openTree: (_dirfd, p) => fd(p),
      moveMount: () => {},
      chroot: () => {},
      chdir: () => {},
      fchdir: () => {},
      open: (p) => fd(this.resolve(p)),
      openat: (dirfd, p) => fd(under(dirfd, p)),
      openat2: (dirfd, p) => fd(under(dirfd, p)),
      close: (n) => {
        this.fds.delete(n);
      },
      mkdirat: () => {},
      mknodat: () => {},
      symlinkat: () => {},
      fchownat: () => {},
      fcntl: () => 0,
      closeRange: () => {},
      accessFd: () => true,
      readFile: (p) => {
        const text = this.files.get(p);
        if (text === undefined) throw new SyscallError('open', errnoNumber('ENOENT'), p);
        return text;
      },
      writeFile: () => {},
      stat: (p) => statOf(this.resolve(p)),
      fstat: (n) => statOf(this.fds.get(n) ?? ''),
      readlink: (p) => this.resolve(p),
      chmod: () => {},
    };
    // Every method records its call, then applies the matching rule added last, else the default.
    const sys = {} as Record<SysName, (...args: unknown[]) => unknown>;
    for (const name of Object.keys(impl) as SysName[]) {
      const real = impl[name] as (...args: unknown[]) => unknown;
      sys[name] = (...args: unknown[]) => {
        const call: SysCall = { name, args, resolved: args.map((a) => (typeof a === 'string' ? this.resolve(a) : a)) };
        this.calls.push(call);
        // The rule added last wins: a test's own rule overrides one its setup added.
        const rule = [...this.rules].reverse().find((r) => r.name === name && r.times > 0 && r.match(...args));
        if (rule) {
          rule.times--;
          if (rule.errno !== undefined) {
            const where = PATH_ARG[name]?.(args);
            const err = new SyscallError(SYSCALL_NAME[name] ?? name, rule.errno, typeof where === 'string' ? where : undefined);
            call.failed = err.errnoCode;
            throw err;
          }
          if (rule.result) return rule.result(...args);
        }
        return real(...args);
      };
    }
    this.sys = sys as unknown as Sys;
  }

  /** /proc/self/fd/N names the path fd N was opened for; anything else is itself. */
  private resolve(p: string): string {
    const m = /^\/proc\/self\/fd\/(\d+)$/.exec(p);
    return m && this.fds.has(Number(m[1])) ? (this.fds.get(Number(m[1])) as string) : p;
  }

  /** Makes matching calls of `name` fail with `errno` ('EPERM'): the first one, or `times` of them. */
  fail(name: SysName, errno: string, match: (...args: any[]) => boolean = () => true, times = 1): this {
    this.rules.push({ name, match, errno: errnoNumber(errno), times });
    return this;
  }

  /** Answers matching calls of `name` with `result(...args)` instead of the default. */
  answer(name: SysName, result: (...args: any[]) => unknown, match: (...args: any[]) => boolean = () => true, times = Infinity): this {
    this.rules.push({ name, match, result, times });
    return this;
  }

  /** A marker in the log (e.g. where a callback ran), to assert on the order around it. */
  note(label: string): void {
    this.calls.push({ name: 'note', args: [label], resolved: [label] });
  }

  /** The path fd `n` was opened for (also after its close), or its number. */
  pathOf(n: unknown): string {
    return this.opened.get(n as number) ?? String(n);
  }

  /** Fds opened and not closed, with their paths. */
  openFds(): string[] {
    return [...this.fds.values()];
  }

  /** The calls named `names` (all when empty), in order. */
  only(...names: (SysName | 'note')[]): SysCall[] {
    return this.calls.filter((c) => names.length === 0 || names.includes(c.name));
  }
}
