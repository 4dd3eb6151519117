// Owns: capability names <-> numbers (linux/capability.h, CAP_CHOWN 0 .. CAP_CHECKPOINT_RESTORE
// 40) and the packing of a capability set into capset(2)'s two 32-bit words. Pure data: which
// capabilities the running kernel knows (/proc/sys/kernel/cap_last_cap) is read elsewhere.
//
// runtime-spec config.md "process.capabilities": names are "CAP_..." strings; unknown or
// ungrantable capabilities give a warning and SHOULD NOT fail the operation, hence
// parseCapabilities reports unknown names instead of throwing. Matching is exact (case-sensitive),
// as runc's capability map is.

/** Name -> number, in number order (values checked against linux-libc-dev 6.1 linux/capability.h). */
export const CAPABILITIES: Readonly<Record<string, number>> = Object.freeze({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37, // Linux 3.16
  CAP_PERFMON: 38, // Linux 5.8
  CAP_BPF: 39, // Linux 5.8
  CAP_CHECKPOINT_RESTORE: 40, // Linux 5.9
});

/** The highest capability number in this table (the kernel may know fewer, or more). */
export const LAST_KNOWN_CAP = 40;

/** All names, ordered by number: the `linux.capabilities` list of the features document. */
export const ALL_CAP_NAMES: readonly string[] = Object.freeze(
  Object.entries(CAPABILITIES).sort((a, b) => a[1] - b[1]).map(([name]) => name),
);

/** Number of a capability name ("CAP_KILL" -> 5), or undefined. */
export function capabilityNumber(name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(CAPABILITIES, name) ? CAPABILITIES[name] : undefined;
}

/** Name of a capability number (5 -> "CAP_KILL"), or undefined past the table. */
export function capabilityName(num: number): string | undefined {
  return Number.isInteger(num) && num >= 0 ? ALL_CAP_NAMES[num] : undefined;
}

/**
 * Split a spec capability list into numbers this table knows (first-seen order, no repeats)
 * and names it does not (for the caller's warning, spec: "SHOULD NOT fail").
 */
export function parseCapabilities(names: readonly string[]): { known: number[]; unknown: string[] } {
  const known: number[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const num = capabilityNumber(name);
    if (num === undefined) {
      if (!unknown.includes(name)) unknown.push(name);
    } else if (!known.includes(num)) {
      known.push(num);
    }
  }
  return { known, unknown };
}

function checkCapNumber(num: number): void {
  // capset(2) version 3 carries 2 x 32 bits; anything else is a caller bug, not a config error.
  if (!Number.isInteger(num) || num < 0 || num > 63) throw new RangeError(`capability number out of range 0..63: ${num}`);
}

/**
 * Pack capability numbers into the two 32-bit words of a _LINUX_CAPABILITY_VERSION_3
 * cap_user_data_t (capget(2): data[0] holds capabilities 0-31, data[1] 32-63).
 * Words are unsigned (bit 31 set stays positive).
 */
export function capsToWords(nums: readonly number[]): [number, number] {
  let low = 0;
  let high = 0;
  for (const num of nums) {
    checkCapNumber(num);
    if (num < 32) low |= 1 << num;
    else high |= 1 << (num - 32);
  }
  return [low >>> 0, high >>> 0];
}

/** The reverse of capsToWords: capability numbers set in capget(2)'s two words, ascending. */
export function wordsToCaps(words: readonly [number, number]): number[] {
  const out: number[] = [];
  for (let word = 0; word < 2; word++) {
    for (let bit = 0; bit < 32; bit++) {
      if (((words[word] >>> bit) & 1) === 1) out.push(word * 32 + bit);
    }
  }
  return out;
}
