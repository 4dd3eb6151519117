// Seccomp profiles for the tests, derived from podman's default (containers-common's
// /usr/share/containers/seccomp.json, installed by scripts/install-deps.sh). Its format has
// conditional rules (includes/excludes by capability or arch); these helpers keep the
// unconditional rules and those for amd64, as runtime-spec rules, the way podman flattens it.
import fs from 'node:fs';
import * as scmp from '../../src/sys/libseccomp';

const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';

/** Why a test built on these profiles cannot run here, or false. */
export const profileSkip: string | false = !fs.existsSync(PODMAN_PROFILE) ? `${PODMAN_PROFILE} missing (apt-get install golang-github-containers-common)`
  : process.arch !== 'x64' ? 'the trimmed profiles are x86_64 only' : false;

type Rule = { names: string[]; action: string; errnoRet?: number; args?: unknown[] | null; includes?: { arches?: string[]; caps?: string[] }; excludes?: object };

/** podman's rules for amd64, each rule's names filtered by `keep`; rules left empty are dropped. */
export function podmanRulesFor(keep: (name: string, nr: number) => boolean): Array<Record<string, unknown>> {
  const full = JSON.parse(fs.readFileSync(PODMAN_PROFILE, 'utf8')) as { syscalls: Rule[] };
  const isEmpty = (o: object | undefined): boolean => !o || Object.keys(o).length === 0;
  const forAmd64 = (i: Rule['includes']): boolean => isEmpty(i) || (!i?.caps?.length && (i?.arches ?? []).includes('amd64'));
  return full.syscalls
    .filter((r) => forAmd64(r.includes) && isEmpty(r.excludes))
    .map((r) => ({
      names: r.names.filter((n) => keep(n, scmp.syscallResolveName(n))),
      action: r.action,
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
      ...(r.args?.length ? { args: r.args } : {}),
    }))
    .filter((r) => (r.names as string[]).length > 0);
}

/** The last x86_64 syscall number of Linux 4.14 (statx is 332; io_pgetevents, 333, came in 4.18). */
const LAST_NR_OF_4_14 = 332;

/**
 * An older deny-by-default profile, as an OCI config generator of the 4.14 era writes it:
 * podman's rules without any syscall added to Linux after 4.14 (openat2, clone3, faccessat2,
 * close_range, pidfd_*, epoll_pwait2, mount_setattr, process_madvise, rseq, ...) but with the
 * landlock_* calls kept, and SCMP_ACT_ERRNO (EPERM) for everything else. Because it names
 * landlock (444-446), the ENOSYS stub does not cover openat2 (437) or clone3 (435).
 */
export function olderDenyByDefaultProfile(): Record<string, unknown> {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: podmanRulesFor((n, nr) => n.startsWith('landlock_') || (nr >= 0 && nr <= LAST_NR_OF_4_14)),
  };
}
