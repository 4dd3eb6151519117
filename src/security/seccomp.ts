// linux.seccomp (runtime-spec config-linux.md "Seccomp") compiled to a filter with libseccomp.
// The same compiler runs twice: in the parent at `create` (checkSeccomp: every error is a
// SpecError naming the field, and the filter is thrown away) and in the init stage
// (prepareSeccomp, before pivot_root while libseccomp is still reachable), which keeps the filter
// until loadSeccomp installs it. runc's libcontainer/seccomp/seccomp_linux.go is the reference
// for the semantics (unknown syscalls skipped, rules with the default action skipped, same-index
// argument conditions split into separate rules).
import fs = require('node:fs');
import * as scmp from '../sys/libseccomp';
import * as unix from '../sys/unix-socket';
import type { Sys } from '../sys/sys';
import { ACT_ERRNO_ENOSYS, clone3NeedsEnosys, patchedProgram, stubApplies } from './seccomp-enosys';
import { RuntimeError, SpecError } from '../errors';
import type { LinuxSeccomp, SeccompAction, SeccompFlag, SeccompOperator } from '../spec/types';

const EPERM = 1;

/** SCMP_ACT_* values (seccomp.h). Actions taking an errno carry it in the low 16 bits. */
export const SECCOMP_ACTIONS: Record<SeccompAction, { value: number; takesErrno: boolean }> = {
  SCMP_ACT_KILL: { value: 0x00000000, takesErrno: false }, // = KILL_THREAD
  SCMP_ACT_KILL_THREAD: { value: 0x00000000, takesErrno: false },
  SCMP_ACT_KILL_PROCESS: { value: 0x80000000, takesErrno: false },
  SCMP_ACT_TRAP: { value: 0x00030000, takesErrno: false },
  SCMP_ACT_ERRNO: { value: 0x00050000, takesErrno: true },
  SCMP_ACT_TRACE: { value: 0x7ff00000, takesErrno: true },
  SCMP_ACT_LOG: { value: 0x7ffc0000, takesErrno: false },
  SCMP_ACT_NOTIFY: { value: 0x7fc00000, takesErrno: false },
  SCMP_ACT_ALLOW: { value: 0x7fff0000, takesErrno: false },
};

/** enum scmp_compare (seccomp.h). */
export const SECCOMP_OPERATORS: Record<SeccompOperator, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** enum scmp_filter_attr values tsrun sets (seccomp_attr_set(3)). */
/** seccomp(2) filter flags the loader adds itself. */
const FLAG_TSYNC = 1;
const FLAG_NEW_LISTENER = 8;
const FLAG_TSYNC_ESRCH = 16;

const ATTR = { CTL_NNP: 3, CTL_TSYNC: 4, CTL_LOG: 6, CTL_SSB: 7, CTL_WAITKILL: 10 } as const;

/** linux.seccomp.flags -> the libseccomp attribute that makes seccomp(2) use that filter flag,
 *  and the libseccomp version that introduced the attribute. */
export const SECCOMP_FLAGS: Record<SeccompFlag, { attr: number; since: [number, number]; kernelFlag: number }> = {
  SECCOMP_FILTER_FLAG_TSYNC: { attr: ATTR.CTL_TSYNC, since: [2, 2], kernelFlag: 1 },
  SECCOMP_FILTER_FLAG_LOG: { attr: ATTR.CTL_LOG, since: [2, 4], kernelFlag: 2 },
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: { attr: ATTR.CTL_SSB, since: [2, 5], kernelFlag: 4 },
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: { attr: ATTR.CTL_WAITKILL, since: [2, 6], kernelFlag: 32 },
};

/** Every SCMP_ARCH_* name of the runtime-spec; features.ts reports those libseccomp resolves. */
export const SECCOMP_ARCHS: readonly string[] = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
];

/** SCMP_ARCH_X86_64 -> "x86_64", the name seccomp_arch_resolve_name(3) takes. */
export function archLibName(name: string): string {
  return name.replace(/^SCMP_ARCH_/, '').toLowerCase();
}

/** Syscalls the init stage itself makes after the filter is loaded and before execve, which a
 *  NOTIFY rule would deadlock on (the listener has no fd yet: it is being sent by that very call). */
const NOTIFY_FORBIDDEN = ['sendmsg'];

/** The libseccomp action value for an action name and its optional errnoRet. */
export function actionValue(action: SeccompAction, errnoRet: number | undefined, at: string, errnoField: string): number {
  const a = SECCOMP_ACTIONS[action];
  if (!a) throw new SpecError(at, `unknown seccomp action ${JSON.stringify(action)}`);
  if (!a.takesErrno) {
    // config-linux.md: "When the action doesn't support an errno, the runtime MUST print and error and fail."
    if (errnoRet !== undefined) throw new SpecError(errnoField, `is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`);
    return a.value;
  }
  const n = errnoRet ?? EPERM; // config-linux.md: "If not specified then its default value is EPERM."
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new SpecError(errnoField, `must be an integer from 0 to 65535 (got ${n})`);
  return (a.value | n) >>> 0;
}

function toU64(v: unknown, at: string): bigint {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new SpecError(at, 'must be a non-negative integer (uint64)');
  // JSON numbers past 2^53 have lost their low bits already; comparing against a rounded value
  // would filter something other than what the profile says, so refuse it instead.
  if (!Number.isSafeInteger(v)) throw new SpecError(at, `${v} is above 2^53 and cannot be represented exactly; tsrun refuses it rather than round it`);
  const b = BigInt(v);
  if (b > 0xffffffffffffffffn) throw new SpecError(at, 'does not fit in a uint64');
  return b;
}

/** Does any rule (or the default) use SCMP_ACT_NOTIFY? */
function usesNotify(s: LinuxSeccomp): boolean {
  return (s.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_NOTIFY');
}

export interface CompiledFilter {
  ctx: scmp.FilterCtx;
  /** Syscall names neither libseccomp nor the kernel knows: skipped, as runc does. */
  skipped: string[];
  notify: boolean;
  /** The largest syscall number the profile names (native arch), -1 when none: the ENOSYS stub's bound. */
  maxNr: number;
  /** seccomp(2) filter flags from linux.seccomp.flags (for loading without libseccomp's loader). */
  kernelFlags: number;
  defaultAction: string;
}

/** Builds the filter (not loaded). Throws SpecError naming the field for anything that cannot be
 *  applied; RuntimeError "libseccomp is not installed" when the library is missing. */
export function compileSeccomp(s: LinuxSeccomp, base = '/linux/seccomp'): CompiledFilter {
  const defAction = actionValue(s.defaultAction, s.defaultErrnoRet, `${base}/defaultAction`, `${base}/defaultErrnoRet`);
  if (s.defaultAction === 'SCMP_ACT_NOTIFY') {
    // runc refuses it too: every syscall of the init stage after the load, including the one that
    // hands the notify fd to the listener, would wait for a listener that has no fd yet.
    throw new SpecError(`${base}/defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action');
  }
  const notify = usesNotify(s);
  if (notify && !s.listenerPath) {
    throw new SpecError(`${base}/listenerPath`, 'is required when a rule uses SCMP_ACT_NOTIFY (nobody could answer the notifications)');
  }
  const ctx = scmp.init(defAction);
  if (!ctx) throw new SpecError(`${base}/defaultAction`, `${s.defaultAction} is not supported by libseccomp or the kernel`);
  try {
    // tsrun sets no_new_privs itself from process.noNewPrivileges: libseccomp must not.
    scmp.attrSet(ctx, ATTR.CTL_NNP, 0);
    (s.architectures ?? []).forEach((name, i) => {
      const token = scmp.archResolveName(archLibName(name));
      if (!token) throw new SpecError(`${base}/architectures/${i}`, `unknown architecture ${JSON.stringify(name)}`);
      try {
        scmp.archAdd(ctx, token);
      } catch (e) {
        // EDOM: one filter cannot mix byte orders, and the native arch is always in it.
        throw new SpecError(`${base}/architectures/${i}`, `${name} cannot be added to a filter for this host: ${(e as Error).message}`);
      }
    });
    const v = scmp.version();
    let kernelFlags = 0;
    (s.flags ?? []).forEach((flag, i) => {
      const f = SECCOMP_FLAGS[flag];
      const at = `${base}/flags/${i}`;
      if (!f) throw new SpecError(at, `unknown seccomp flag ${JSON.stringify(flag)}`);
      if (v.major < f.since[0] || (v.major === f.since[0] && v.minor < f.since[1])) {
        throw new SpecError(at, `${flag} needs libseccomp >= ${f.since.join('.')} (this host has ${v.major}.${v.minor}.${v.micro})`);
      }
      try {
        scmp.attrSet(ctx, f.attr, 1);
      } catch (e) {
        throw new SpecError(at, `${flag} is not supported here: ${(e as Error).message}`);
      }
      kernelFlags |= f.kernelFlag;
    });
    let maxNr = -1;
    const skipped: string[] = [];
    const named = new Set((s.syscalls ?? []).flatMap((r) => r.names));
    (s.syscalls ?? []).forEach((rule, i) => {
      const at = `${base}/syscalls/${i}`;
      const action = actionValue(rule.action, rule.errnoRet, `${at}/action`, `${at}/errnoRet`);
      if (rule.action === 'SCMP_ACT_NOTIFY') {
        const bad = rule.names.find((n) => NOTIFY_FORBIDDEN.includes(n));
        if (bad) throw new SpecError(`${at}/names`, `SCMP_ACT_NOTIFY cannot be used for ${bad}: tsrun sends the notify fd with it`);
      }
      const conds = (rule.args ?? []).map((a, j) => {
        const aat = `${at}/args/${j}`;
        if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw new SpecError(`${aat}/index`, 'must be 0 to 5 (syscalls have six arguments)');
        const op = SECCOMP_OPERATORS[a.op];
        if (!op) throw new SpecError(`${aat}/op`, `unknown operator ${JSON.stringify(a.op)}`);
        // MASKED_EQ: value is the mask, valueTwo the value compared after masking (as in runc).
        return { arg: a.index, op, datumA: toU64(a.value, `${aat}/value`), datumB: toU64(a.valueTwo ?? 0, `${aat}/valueTwo`) };
      });
      // Every name the profile knows counts for the ENOSYS stub, whatever its action.
      for (const name of rule.names) maxNr = Math.max(maxNr, scmp.syscallResolveName(name));
      // libseccomp refuses a rule whose action is the filter's default (EACCES); it would be a
      // no-op anyway, so it is skipped, as runc does.
      if (action === defAction) return;
      // Conditions on different arguments are ANDed in one rule. libseccomp cannot AND two
      // conditions on the same argument, so then each condition becomes a rule of its own (ORed),
      // which is runc's behaviour and what profiles written for Docker expect.
      const counts = new Map<number, number>();
      conds.forEach((c) => counts.set(c.arg, (counts.get(c.arg) ?? 0) + 1));
      const groups = [...counts.values()].some((n) => n > 1) ? conds.map((c) => [c]) : [conds];
      rule.names.forEach((name, k) => {
        const nr = scmp.syscallResolveName(name);
        // -1 (__NR_SCMP_ERROR): unknown to libseccomp; skipped so that a profile written for a
        // newer kernel still works (runc logs these at debug level).
        if (nr === -1) {
          skipped.push(name);
          return;
        }
        for (const g of groups) {
          try {
            scmp.ruleAdd(ctx, action, nr, g);
          } catch (e) {
            throw new SpecError(`${at}/names/${k}`, `cannot add the rule for ${name}: ${(e as Error).message}`);
          }
        }
      });
    });
    const clone3 = scmp.syscallResolveName('clone3');
    if (clone3 >= 0 && clone3NeedsEnosys(s.defaultAction, named) && defAction !== ACT_ERRNO_ENOSYS) {
      scmp.ruleAdd(ctx, ACT_ERRNO_ENOSYS, clone3, []);
    }
    return { ctx, skipped, notify, maxNr, kernelFlags, defaultAction: s.defaultAction };
  } catch (e) {
    scmp.release(ctx);
    throw e;
  }
}

/** Parent side (create): compile to find every error while it can still fail `create`, then free. */
export function checkSeccomp(s: LinuxSeccomp): { skipped: string[] } {
  const f = compileSeccomp(s);
  scmp.release(f.ctx);
  return { skipped: f.skipped };
}

// ---- init stage ------------------------------------------------------------------------------

/** What the init stage is told (init-config.ts): the profile and, for NOTIFY, where to send the fd. */
export interface InitSeccomp {
  profile: LinuxSeccomp;
  /** The container state fields the parent knows; status and pid are filled in by the init stage. */
  state: { ociVersion: string; id: string; bundle: string; annotations?: Record<string, string> };
}

/** A compiled filter held by the init stage until loadSeccomp. */
export interface ArmedSeccomp {
  filter: CompiledFilter;
  /** Connected to listenerPath before pivot_root (the host path is gone afterwards). */
  listenerFd?: number;
  metadata?: string;
  state: InitSeccomp['state'];
  /** The init stage's pid as the runtime (host) sees it, read before pivot_root. */
  hostPid: number;
  /** With a denying default action: runc's ENOSYS stub + libseccomp's program (seccomp-enosys.ts). */
  program?: Buffer;
}

/** Before pivot_root: load libseccomp, compile the filter, connect the listener. */
export function prepareSeccomp(cfg: InitSeccomp): ArmedSeccomp {
  const filter = compileSeccomp(cfg.profile);
  // /proc is still the runtime's procfs here, so /proc/self names our pid in the runtime's pid
  // namespace: the pid the state JSON must carry (runtime.md "State").
  const hostPid = Number(fs.readlinkSync('/proc/self'));
  let listenerFd: number | undefined;
  if (filter.notify && cfg.profile.listenerPath) {
    unix.preload();
    listenerFd = unix.connectUnix(cfg.profile.listenerPath);
  }
  // Built now, while libseccomp and a memfd are at hand; loaded with seccomp(2) by loadSeccomp.
  const program = stubApplies(filter.defaultAction, filter.maxNr) ? patchedProgram(filter.ctx, filter.maxNr) : undefined;
  return { filter, listenerFd, metadata: cfg.profile.listenerMetadata, state: cfg.state, hostPid, program };
}

/** config-linux.md "containerProcessState": what the listener receives with the notify fd. */
export function listenerMessage(a: Pick<ArmedSeccomp, 'state' | 'metadata' | 'hostPid'>, status: string): string {
  return JSON.stringify({
    ociVersion: a.state.ociVersion,
    fds: ['seccompFd'],
    pid: a.hostPid,
    metadata: a.metadata ?? '',
    state: { ...a.state, status, pid: a.hostPid, annotations: a.state.annotations ?? {} },
  });
}

/**
 * Installs the filter on the calling (main) thread. Needs no_new_privs or CAP_SYS_ADMIN
 * (seccomp(2)); become-process.ts sealProcess calls it as the last step before execve or
 * posix_spawn. With a NOTIFY listener, the fd then goes out with sendmsg(2) and both fds are
 * closed; every call that may follow the load is listed in after-seccomp.ts.
 */
export function loadSeccomp(sys: Sys, a: ArmedSeccomp, status: 'created' | 'running'): void {
  let listener: number | undefined;
  if (a.program) {
    const notify = a.filter.notify;
    const tsync = (a.filter.kernelFlags & FLAG_TSYNC) !== 0;
    const flags = a.filter.kernelFlags | (notify ? FLAG_NEW_LISTENER : 0) | (notify && tsync ? FLAG_TSYNC_ESRCH : 0);
    const r = sys.seccompSetFilter(a.program, flags);
    // With TSYNC and no listener, a positive result is the thread that could not be synced.
    if (!notify && r !== 0) throw new RuntimeError('seccomp', `seccomp TSYNC failed: thread ${r} could not take the filter`);
    if (notify) listener = r;
  } else {
    scmp.load(a.filter.ctx);
  }
  if (a.listenerFd === undefined) return;
  const fd = listener ?? scmp.notifyFd(a.filter.ctx);
  try {
    unix.sendWithFds(a.listenerFd, Buffer.from(listenerMessage(a, status)), [fd]);
  } catch (e) {
    throw new RuntimeError('seccomp-listener', `sending the seccomp notify fd to ${a.state.id}'s listener failed: ${(e as Error).message}`, { cause: e });
  } finally {
    // The container must not hold its own listener fd: it could answer its own notifications.
    sys.close(fd);
    sys.close(a.listenerFd);
  }
}
