// The `linux.seccomp` part of the features document (features-linux.md "Seccomp"), found out at
// run time from the libseccomp this host has: an action, operator, architecture or flag is listed
// only when libseccomp (and through it the kernel) accepts it in a throwaway filter, so the
// document never claims what `create` would then refuse.
import * as scmp from '../sys/libseccomp';
import { SECCOMP_ACTIONS, SECCOMP_ARCHS, SECCOMP_FLAGS, SECCOMP_OPERATORS, archLibName } from './seccomp';
import type { Features } from '../spec/types';

type SeccompFeatures = NonNullable<NonNullable<Features['linux']>['seccomp']>;

const ERRNO_EPERM = 0x00050001;

/** Runs `probe` on a fresh filter (default ERRNO(EPERM)); true when it does not throw. */
function accepts(probe: (ctx: scmp.FilterCtx) => void): boolean {
  const ctx = scmp.init(ERRNO_EPERM);
  if (!ctx) return false;
  try {
    probe(ctx);
    return true;
  } catch {
    return false;
  } finally {
    scmp.release(ctx);
  }
}

/** "2.5.4": the libseccomp this host loads, or undefined without one. */
export function libseccompVersion(): string | undefined {
  if (!scmp.available()) return undefined;
  const v = scmp.version();
  return `${v.major}.${v.minor}.${v.micro}`;
}

export function seccompFeatures(): SeccompFeatures {
  if (!scmp.available()) return { enabled: false };
  const getpid = scmp.syscallResolveName('getpid');
  const v = scmp.version();
  const actions = Object.entries(SECCOMP_ACTIONS)
    // ERRNO(2) so that it differs from the filter's default ERRNO(1) (libseccomp refuses that).
    .filter(([, a]) => accepts((ctx) => scmp.ruleAdd(ctx, a.takesErrno ? (a.value | 2) >>> 0 : a.value, getpid, [])))
    .map(([name]) => name);
  const operators = Object.entries(SECCOMP_OPERATORS)
    .filter(([, op]) => accepts((ctx) => scmp.ruleAdd(ctx, 0x7fff0000, getpid, [{ arg: 0, op, datumA: 1n, datumB: 1n }])))
    .map(([name]) => name);
  // Known to libseccomp and addable next to the native arch (a filter has one byte order).
  const archs = SECCOMP_ARCHS.filter((a) => {
    const token = scmp.archResolveName(archLibName(a));
    return token !== 0 && accepts((ctx) => scmp.archAdd(ctx, token));
  });
  const supportedFlags = Object.entries(SECCOMP_FLAGS)
    .filter(([, f]) => (v.major > f.since[0] || (v.major === f.since[0] && v.minor >= f.since[1])) && accepts((ctx) => scmp.attrSet(ctx, f.attr, 1)))
    .map(([name]) => name);
  return { enabled: true, actions, operators, archs, knownFlags: Object.keys(SECCOMP_FLAGS), supportedFlags };
}
