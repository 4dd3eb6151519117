// Parsers for what /proc shows, used on the host and on text a container printed from inside:
// mountinfo (proc(5) /proc/pid/mountinfo), the status file (proc(5) /proc/pid/status) and
// /proc/pid/limits.

function unescape(field) {
  // mountinfo octal-escapes space, tab, newline and backslash (fs/proc_namespace.c mangle()).
  return field.replace(/\\([0-7]{3})/g, (_, oct) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * One entry per mountinfo line: { id, parent, root, mountPoint, options[], optional[], fstype,
 * source, superOptions[] }. `optional` holds the propagation tags (shared:N, master:N, unbindable).
 */
export function parseMountinfo(text) {
  const mounts = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0) continue;
    mounts.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      root: unescape(f[3]),
      mountPoint: unescape(f[4]),
      options: f[5].split(','),
      optional: f.slice(6, sep),
      fstype: f[sep + 1],
      source: unescape(f[sep + 2]),
      superOptions: (f[sep + 3] ?? '').split(','),
    });
  }
  return mounts;
}

/** The mount that is visible at `point` (the last one mounted there). */
export function mountAt(mounts, point) {
  const all = mounts.filter((m) => m.mountPoint === point);
  return all[all.length - 1];
}

/** "Key:\tvalue" lines of /proc/pid/status as an object. */
export function parseStatus(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** /proc/pid/limits rows as { 'Max open files': { soft, hard } } (values as strings, "unlimited" kept). */
export function parseLimits(text) {
  const out = {};
  for (const line of text.split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[m[1].trim()] = { soft: m[2], hard: m[3] };
  }
  return out;
}

/**
 * Splits the output of a probe script into sections. Scripts print "@@name" on a line of its own
 * before each part (see ctx.section helpers in the cases).
 */
export function sections(stdout) {
  const out = {};
  let cur;
  for (const line of stdout.split('\n')) {
    const m = /^@@(\S+)$/.exec(line);
    if (m) {
      cur = m[1];
      out[cur] = [];
    } else if (cur !== undefined) {
      out[cur].push(line);
    }
  }
  for (const k of Object.keys(out)) out[k] = out[k].join('\n').replace(/\n+$/, '');
  return out;
}

/** capabilities(7) names by number (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** A capability mask (hex as in CapEff) from capability numbers. */
export function capMask(numbers) {
  let m = 0n;
  for (const n of numbers) m |= 1n << BigInt(n);
  return m.toString(16).padStart(16, '0');
}
