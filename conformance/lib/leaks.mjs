// The end-of-run leak check: after every case has cleaned up, nothing this run made may remain on
// the machine (issue 2 "Done when": no mounts, cgroups, processes, fifos or state dirs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUN, ROOTFS, sleepMs } from './context.mjs';
import { cgroupHierarchies, findCgroupDirs, mountsMentioning, nowTicks, processesInCgroupsNamed, strayInitStages } from './host.mjs';

/** What existed before the first case, so only new things count as leaks. */
export function leakBaseline() {
  return {
    ticks: nowTicks(),
    tsrunParents: new Set(cgroupHierarchies().map((h) => path.join(h, 'tsrun')).filter((d) => fs.existsSync(d))),
    rootfsMounts: mountsMentioning([ROOTFS]).length,
  };
}

function subdirs(dir) {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Problems found (empty = clean). Removes the private state root when it is empty. */
export function finalLeakCheck(baseline) {
  const problems = [];
  const mounts = mountsMentioning([RUN.tmpPrefix, RUN.root]);
  if (mounts.length) problems.push(`mounts: ${mounts.map((m) => m.mountPoint).join(' ')}`);
  const rootfsMounts = mountsMentioning([ROOTFS]);
  if (rootfsMounts.length > baseline.rootfsMounts) problems.push(`host mounts of the rootfs: ${rootfsMounts.map((m) => m.mountPoint).join(' ')}`);
  const cgroups = findCgroupDirs(RUN.prefix);
  if (cgroups.length) problems.push(`cgroups: ${cgroups.join(' ')}`);
  // A /tsrun parent cgroup that did not exist before and is now empty was made and not removed.
  for (const h of cgroupHierarchies()) {
    const parent = path.join(h, 'tsrun');
    if (!baseline.tsrunParents.has(parent) && fs.existsSync(parent) && subdirs(parent).length === 0) {
      problems.push(`empty parent cgroup ${parent}`);
    }
  }
  let procs = processesInCgroupsNamed(RUN.prefix).concat(strayInitStages(baseline.ticks, RUN.prefix));
  for (let i = 0; procs.length && i < 20; i++) {
    sleepMs(100);
    procs = processesInCgroupsNamed(RUN.prefix).concat(strayInitStages(baseline.ticks, RUN.prefix));
  }
  if (procs.length) problems.push(`processes: ${procs.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
  const state = fs.existsSync(RUN.root) ? fs.readdirSync(RUN.root) : [];
  if (state.length) {
    problems.push(`state dirs in ${RUN.root}: ${state.join(' ')}`);
  } else if (fs.existsSync(RUN.root)) {
    fs.rmdirSync(RUN.root);
  }
  const tmpBase = path.basename(RUN.tmpPrefix);
  const tmp = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(tmpBase));
  if (tmp.length) problems.push(`temp dirs: ${tmp.map((n) => path.join(os.tmpdir(), n)).join(' ')}`);
  return problems;
}
