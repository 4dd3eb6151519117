// What the host looks like from outside the containers: mounts, cgroup directories, processes.
// The leak checks (per `*_fail` case and at the end of the run) are built from these probes.
// Other engineers may run containers on the same machine at the same time, so every probe here
// is narrowed to names this run made (its id prefix, its temp dirs, its state root).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseMountinfo } from './proc.mjs';

export const CGROUP_ROOT = '/sys/fs/cgroup';

export function hostMounts() {
  return parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** Host mountinfo entries whose mount point or source mentions any of `needles`. */
export function mountsMentioning(needles) {
  return hostMounts().filter((m) => needles.some((n) => m.mountPoint.includes(n) || m.source.includes(n) || m.root.includes(n)));
}

/** Every cgroup hierarchy mounted under /sys/fs/cgroup (v1 controllers, name=systemd, unified). */
export function cgroupHierarchies() {
  const mounted = new Set(hostMounts().filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2').map((m) => m.mountPoint));
  return [...mounted].filter((p) => p.startsWith(`${CGROUP_ROOT}/`) || p === CGROUP_ROOT);
}

/** The directories of cgroup `inner` ("/tsrun/<id>") that exist in any hierarchy. */
export function cgroupDirs(inner) {
  return cgroupHierarchies().map((h) => path.join(h, inner)).filter((d) => fs.existsSync(d));
}

/** Cgroup directories (to `depth` levels below each hierarchy) whose name contains `needle`. */
export function findCgroupDirs(needle, depth = 4) {
  const found = [];
  const walk = (dir, left) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const sub = path.join(dir, e.name);
      if (e.name.includes(needle)) found.push(sub);
      if (left > 1) walk(sub, left - 1);
    }
  };
  for (const h of cgroupHierarchies()) walk(h, depth);
  return found;
}

function readOr(file, fallback = '') {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Every live process: { pid, cmdline, cgroup (text of /proc/pid/cgroup), startTicks }. */
export function processes() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOr(`/proc/${name}/stat`);
    if (!stat) continue;
    // Field 22 (starttime) counted after the ")" that ends the command name, which may hold spaces.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (after[0] === 'Z') continue; // a zombie holds nothing and its parent will reap it
    out.push({
      pid: Number(name),
      cmdline: readOr(`/proc/${name}/cmdline`).split('\0').join(' ').trim(),
      cgroup: readOr(`/proc/${name}/cgroup`),
      startTicks: Number(after[19]),
    });
  }
  return out;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Now, in the clock ticks since boot that /proc/pid/stat's starttime uses. */
export function nowTicks() {
  return Math.floor(Number(readOr('/proc/uptime', '0').split(' ')[0]) * CLK_TCK);
}

/**
 * tsrun init stages (node .../dist/init.js) started at or after `sinceTicks` that are not
 * inside another tsrun container's cgroup: an init stage of ours that outlived a failed create
 * is either still in the caller's cgroup or in a cgroup named after one of our ids.
 */
export function strayInitStages(sinceTicks, ourPrefix) {
  return processes().filter((p) => {
    if (!p.cmdline.includes('dist/init.js') || p.startTicks < sinceTicks) return false;
    if (p.cgroup.includes(ourPrefix)) return true;
    return !/\/tsrun\//.test(p.cgroup);
  });
}

/** Processes whose cgroup path mentions `needle` (the id prefix of this run). */
export function processesInCgroupsNamed(needle) {
  return processes().filter((p) => p.cgroup.includes(needle));
}

/** The runner's own namespace of `type` ("net:[4026531840]"). */
export function hostNs(type) {
  return fs.readlinkSync(`/proc/self/ns/${type}`);
}

/**
 * Why this kernel cannot make time namespaces, or undefined: they came in Linux 5.6 with
 * CONFIG_TIME_NS, and /proc/self/ns/time exists exactly when the kernel has them (namespaces(7),
 * time_namespaces(7)).
 */
export function noTimeNamespaces() {
  return fs.existsSync('/proc/self/ns/time') ? undefined : 'this kernel has no time namespaces (no /proc/self/ns/time: CONFIG_TIME_NS, Linux 5.6+)';
}
