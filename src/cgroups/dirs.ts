// Creation and removal of cgroup directories, remembering exactly which ones tsrun made so that
// destroy never removes a cgroup someone else owns (an intermediate parent such as
// /sys/fs/cgroup/pids/tsrun is removed only by the container that created it, and only once empty).
import path = require('node:path');
import { type CgroupFs, sleepSync } from './cgroupfs';
import { CgroupError, fsErrorCode } from './errors';

/**
 * mkdir every missing component of `dir` (like mkdir -p) and return the ones this call created,
 * top-down. EEXIST on a component means another process made it first: not ours.
 */
export function mkdirTracked(cfs: CgroupFs, dir: string): string[] {
  const created: string[] = [];
  // A concurrent destroy of another container may rmdir a shared parent between our exists()
  // and mkdir(); ENOENT then means "start again from the top", a few times at most.
  for (let attempt = 0; attempt < 5; attempt++) {
    const missing: string[] = [];
    for (let d = dir; !cfs.exists(d); d = path.dirname(d)) {
      if (d === path.dirname(d)) throw new CgroupError(`no existing ancestor for ${dir}`, { path: dir });
      missing.unshift(d);
    }
    let restarted = false;
    for (const d of missing) {
      try {
        cfs.mkdir(d);
        created.push(d);
      } catch (err) {
        const code = fsErrorCode(err);
        if (code === 'EEXIST') continue;
        if (code === 'ENOENT') {
          restarted = true;
          break;
        }
        throw new CgroupError(`mkdir ${d}: ${code ?? String(err)}`, { path: d, errnoCode: code, cause: err });
      }
    }
    if (!restarted) return created;
  }
  throw new CgroupError(`mkdir ${dir}: parent directories kept disappearing`, { path: dir, errnoCode: 'ENOENT' });
}

function depth(p: string): number {
  return p.split('/').length;
}

/** rmdir, retrying EBUSY until `deadline` (tasks still exiting keep a cgroup busy). */
function rmdirPatiently(cfs: CgroupFs, dir: string, deadline: number): string | undefined {
  for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
    try {
      cfs.rmdir(dir);
      return undefined;
    } catch (err) {
      const code = fsErrorCode(err) ?? String(err);
      if (code === 'ENOENT') return undefined;
      if (code !== 'EBUSY' || Date.now() >= deadline) return code;
      sleepSync(delay);
    }
  }
}

/** Remove a leaf's child cgroups (made inside the container, so they are the container's), deepest first. */
function removeChildren(cfs: CgroupFs, dir: string, deadline: number, failures: string[]): void {
  let children: string[];
  try {
    children = cfs.subdirs(dir);
  } catch (err) {
    if (fsErrorCode(err) !== 'ENOENT') failures.push(`${dir}: ${fsErrorCode(err) ?? String(err)}`);
    return;
  }
  for (const child of children) {
    const sub = path.join(dir, child);
    removeChildren(cfs, sub, deadline, failures);
    const code = rmdirPatiently(cfs, sub, deadline);
    if (code !== undefined) failures.push(`${sub}: ${code}`);
  }
}

export interface RemoveResult {
  /** Created dirs that still exist afterwards (failed, or shared parents still in use). */
  remaining: string[];
  /** "dir: ERRNO" for every removal that failed. */
  failures: string[];
}

/**
 * Remove the directories in `created`, deepest first. `leaves` are the container's own cgroups:
 * their child cgroups go too. Any other created dir (an intermediate parent) is kept, without
 * error, while it still has child cgroups: another container is using it.
 */
export function removeCreatedDirs(cfs: CgroupFs, created: readonly string[], leaves: ReadonlySet<string>, timeoutMs = 2000): RemoveResult {
  const deadline = Date.now() + timeoutMs;
  // A plain comparison: localeCompare would start ICU's collator, ~13 ms of every delete.
  const ordered = [...new Set(created)].sort((a, b) => depth(b) - depth(a) || (a < b ? 1 : a > b ? -1 : 0));
  const remaining: string[] = [];
  const failures: string[] = [];
  for (const dir of ordered) {
    if (!cfs.exists(dir)) continue;
    if (leaves.has(dir)) {
      removeChildren(cfs, dir, deadline, failures);
    } else {
      // A shared parent (/tsrun): in use while it has child cgroups, and another create may make
      // one between this look and the rmdir, which then fails with EBUSY. Either way it is
      // someone else's now: kept, without error and without waiting.
      try {
        if (cfs.subdirs(dir).length > 0) {
          remaining.push(dir);
          continue;
        }
        cfs.rmdir(dir);
      } catch (err) {
        const code = fsErrorCode(err) ?? String(err);
        // ENOENT: another delete pruned it first.
        if (code === 'EBUSY' || code === 'ENOTEMPTY') remaining.push(dir);
        else if (code !== 'ENOENT') {
          failures.push(`${dir}: ${code}`);
          remaining.push(dir);
        }
      }
      continue;
    }
    const code = rmdirPatiently(cfs, dir, deadline);
    if (code !== undefined) {
      failures.push(`${dir}: ${code}`);
      remaining.push(dir);
    }
  }
  return { remaining, failures };
}
