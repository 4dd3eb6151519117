// The whole-machine view of what tsrun and its tests can leave behind, for the final leak check
// (test/integration/zz-leaks.test.ts). No tap import: scripts/test.sh also runs this file on its
// own (leak-baseline.ts) to record what was on the machine before the suite started.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface MachineLeaks {
  stateRoots: string[];
  mounts: string[];
  cgroups: string[];
  processes: string[];
}

function safeReaddir(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * One entry per item, so that a baseline can be subtracted item by item: each test state root with
 * content, each host mount of a tsrun path or a bundle rootfs, each container cgroup under a tsrun
 * parent (or the parent itself when it is empty: the last container out removes it), each live
 * init stage (`dist/init.js`, with its pid).
 */
export function machineLeaks(): MachineLeaks {
  const stateRoots = safeReaddir('/run').filter((n) => n.startsWith('tsrun-test-'))
    .map((n) => path.join('/run', n)).filter((d) => safeReaddir(d).length > 0);
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => /tsrun|bundles\/[^ ]*rootfs/.test(l)).map((l) => l.split(' ')[4]);
  const cgroups: string[] = [];
  for (const h of safeReaddir('/sys/fs/cgroup')) {
    const parent = path.join('/sys/fs/cgroup', h, 'tsrun');
    if (!isDir(parent)) continue;
    const children = safeReaddir(parent).filter((n) => isDir(path.join(parent, n)));
    if (children.length === 0) cgroups.push(parent);
    else cgroups.push(...children.map((n) => path.join(parent, n)));
  }
  const processes = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n')
    .filter((l) => l.includes('dist/init.js')).map((l) => l.trim());
  return { stateRoots, mounts, cgroups, processes };
}

/** `now` without what `before` already had, per kind. */
export function subtractLeaks(now: MachineLeaks, before: MachineLeaks): MachineLeaks {
  const minus = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  return {
    stateRoots: minus(now.stateRoots, before.stateRoots),
    mounts: minus(now.mounts, before.mounts),
    cgroups: minus(now.cgroups, before.cgroups),
    processes: minus(now.processes, before.processes),
  };
}

export const NO_LEAKS: MachineLeaks = { stateRoots: [], mounts: [], cgroups: [], processes: [] };

/**
 * What was on the machine before the suite started, recorded by scripts/test.sh into the file
 * named by TSRUN_LEAK_BASELINE (leak-baseline.ts); none when the variable is unset (a leak check
 * run on its own then counts everything).
 */
export function leakBaseline(): MachineLeaks {
  const file = process.env.TSRUN_LEAK_BASELINE;
  if (!file) return NO_LEAKS;
  return { ...NO_LEAKS, ...(JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<MachineLeaks>) };
}
