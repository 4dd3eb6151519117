// Owns: runtime-spec rlimit type names -> resource numbers for prlimit(2)/setrlimit(2).
// Pure data. Values from asm-generic/resource.h (linux-libc-dev 6.1), which both x86_64 and
// arm64 use unchanged.
//
// runtime-spec config.md "process.rlimits": `type` is "RLIMIT_..."; "the runtime MUST
// generate an error for any values which cannot be mapped to a relevant kernel interface",
// so callers turn `undefined` from rlimitResource into a SpecError. Matching is exact.

export const RLIMITS: Readonly<Record<string, number>> = Object.freeze({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

/** All rlimit type names, ordered by resource number. */
export const ALL_RLIMIT_NAMES: readonly string[] = Object.freeze(
  Object.entries(RLIMITS).sort((a, b) => a[1] - b[1]).map(([name]) => name),
);

/** RLIM_INFINITY as the kernel's u64 (~0ULL); the spec's soft/hard are uint64 too. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** Resource number for a spec rlimit type ("RLIMIT_NOFILE" -> 7), or undefined if unknown. */
export function rlimitResource(name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(RLIMITS, name) ? RLIMITS[name] : undefined;
}
