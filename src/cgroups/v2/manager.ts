// Manager for pure cgroup v2 hosts: one directory in the unified hierarchy. A controller's files
// exist in a cgroup only when its parent lists the controller in cgroup.subtree_control
// (cgroup-v2.rst "Enabling and Disabling"), so create() enables, from the mount root down to the
// parent, every controller each level offers, as runc's fs2 CreateCgroupPath does.
import * as path from 'node:path';
import { BaseCgroupManager } from '../base-manager';
import { emptyStats, type Stats } from '../stats';
import { readCgroupFile } from '../cgroupfs';
import type { ResourceController } from '../controller';
import { CgroupError } from '../errors';
import type { FreezerState } from '../types';
import { freezerStateV2, setFreezerV2 } from './freezer';
import { pidsV2 } from './pids';

export class V2CgroupManager extends BaseCgroupManager {
  protected readonly controllers: readonly ResourceController[] = [pidsV2];

  private unifiedDir(): string {
    const dir = this.dirs.unified;
    if (dir === undefined) throw new CgroupError('no cgroup2 directory recorded for this container', { code: 'cgroup-state' });
    return dir;
  }

  /** Ancestors of the leaf inside the cgroup2 mount, top-down: the mount root is the highest dir with cgroup.controllers. */
  private ancestors(): string[] {
    const chain: string[] = [];
    for (let d = path.dirname(this.unifiedDir()); ; d = path.dirname(d)) {
      chain.unshift(d);
      const parent = path.dirname(d);
      if (parent === d || !this.cfs.exists(path.join(parent, 'cgroup.controllers'))) return chain;
    }
  }

  protected afterMkdir(): void {
    for (const dir of this.ancestors()) {
      const available = readCgroupFile(this.cfs, path.join(dir, 'cgroup.controllers')).split(/\s+/).filter(Boolean);
      const control = path.join(dir, 'cgroup.subtree_control');
      const enabled = new Set(readCgroupFile(this.cfs, control).split(/\s+/).filter(Boolean));
      for (const c of available) {
        if (enabled.has(c)) continue;
        // One controller per write: a refusal of one (e.g. "cpu" while realtime tasks sit in
        // the parent) must not keep the others off. A controller that stays off shows up later
        // as a clear "missing file" error from set() if the config needs it.
        try {
          this.cfs.write(control, `+${c}`);
        } catch {
          /* see above */
        }
      }
    }
  }

  protected isFrozen(dir: string): boolean {
    return this.cfs.exists(path.join(dir, 'cgroup.freeze')) && freezerStateV2(this.cfs, dir) !== 'thawed';
  }

  protected procsDir(): string {
    return this.unifiedDir();
  }

  freeze(state: 'frozen' | 'thawed'): void {
    setFreezerV2(this.cfs, this.unifiedDir(), state);
  }

  freezerState(): FreezerState {
    return freezerStateV2(this.cfs, this.unifiedDir());
  }

  // Filled in by the resource-controller work of issue 3 (one reader per controller file).
  stats(): Stats {
    return emptyStats();
  }

  oomKillCount(): number {
    return 0;
  }
}
