// What the v1 and v2 managers share: placement of the container's cgroup in every hierarchy
// (create, apply), the pids listing, destroy of only the directories tsrun made, and the
// serialisable record. Version specifics (controllers, freezer, set-up after mkdir) are the
// abstract members implemented in v1/manager.ts and v2/manager.ts.
import path = require('node:path');
import { type CgroupFs, readProcs, readProcsRecursive, writeCgroupFile } from './cgroupfs';
import type { CgroupWarn, ResourceController } from './controller';
import { mkdirTracked, removeCreatedDirs } from './dirs';
import { CgroupError } from './errors';
import type { CgroupKind, CgroupManager, CgroupPaths, CgroupPlacement, FreezerState, LinuxResources } from './types';
import { controllersToWrite, validateResources } from './resources';
import { TSRUN_CGROUP_PARENT } from './cgroups-path';
import type { Stats } from './stats';
import { reached } from '../step-hook';

export abstract class BaseCgroupManager implements CgroupManager {
  readonly kind: CgroupKind;
  protected readonly dirs: Readonly<Record<string, string>>;
  private created: string[];

  constructor(protected readonly cfs: CgroupFs, record: CgroupPaths) {
    this.kind = record.kind;
    this.dirs = Object.freeze({ ...record.paths });
    this.created = [...record.createdDirs];
  }

  /** Resource controllers of this cgroup version, written in this order by set(). */
  protected abstract readonly controllers: readonly ResourceController[];
  /** Version-specific set-up once the directories exist; `createdNow` is top-down. */
  protected abstract afterMkdir(createdNow: readonly string[]): void;
  /** Whether the pre-existing directory `dir` is frozen (create refuses it). */
  protected abstract isFrozen(dir: string): boolean;
  /** Directory whose cgroup.procs (and sub-cgroups) list the container's processes. */
  protected abstract procsDir(): string;
  abstract stats(): Stats;
  abstract oomKillCount(): number;
  abstract freeze(state: 'frozen' | 'thawed'): void;
  abstract freezerState(): FreezerState;

  /** Distinct directories, v1 hierarchies first and the cgroup2 one last. */
  protected uniqueDirs(): string[] {
    const v1 = Object.entries(this.dirs).filter(([k]) => k !== 'unified').map(([, d]) => d);
    const all = this.dirs.unified === undefined ? v1 : [...v1, this.dirs.unified];
    return [...new Set(all)];
  }

  create(): void {
    const dirs = this.uniqueDirs();
    // Check fitness before making anything, so a refusal leaves no trace.
    for (const dir of dirs.filter((d) => this.cfs.exists(d))) {
      const busy = readProcs(this.cfs, dir);
      if (busy.length > 0) {
        throw new CgroupError(`cgroup ${dir} already holds processes (${busy.slice(0, 5).join(', ')}${busy.length > 5 ? ', ...' : ''}); a new container needs an empty cgroup`, {
          path: dir,
          code: 'cgroup-busy',
        });
      }
      if (this.isFrozen(dir)) throw new CgroupError(`cgroup ${dir} is frozen; a new container cannot start in it`, { path: dir, code: 'cgroup-busy' });
    }
    const createdNow: string[] = [];
    try {
      for (const dir of dirs) {
        reached('cgroup-mkdir');
        createdNow.push(...mkdirTracked(this.cfs, dir));
      }
      this.afterMkdir(createdNow);
    } catch (err) {
      removeCreatedDirs(this.cfs, createdNow, new Set(dirs));
      throw err;
    }
    this.created = [...new Set([...this.created, ...createdNow])];
  }

  apply(pid: number, dirs: readonly string[] = this.uniqueDirs()): void {
    if (!Number.isInteger(pid) || pid <= 0) throw new CgroupError(`invalid pid ${pid}`);
    const ours = new Set(this.uniqueDirs());
    const stray = dirs.find((d) => !ours.has(d));
    if (stray !== undefined) throw new CgroupError(`${stray} is not one of this container's cgroup directories`, { path: stray });
    for (const dir of dirs) writeCgroupFile(this.cfs, path.join(dir, 'cgroup.procs'), String(pid));
  }

  placements(): CgroupPlacement[] {
    const made = new Set(this.created);
    return this.uniqueDirs().map((dir) => ({
      dir,
      controllers: Object.entries(this.dirs).filter(([, d]) => d === dir).map(([c]) => c),
      made: made.has(dir),
    }));
  }

  applyThread(tid: number): void {
    if (!Number.isInteger(tid) || tid <= 0) throw new CgroupError(`invalid thread id ${tid}`);
    const v1 = new Set(Object.entries(this.dirs).filter(([k]) => k !== 'unified').map(([, d]) => d));
    for (const dir of this.uniqueDirs()) writeCgroupFile(this.cfs, path.join(dir, v1.has(dir) && this.kind !== 'v2' ? 'tasks' : 'cgroup.procs'), String(tid));
  }

  /** Where set() sends warnings when its caller gives no `warn`. */
  protected defaultWarn: CgroupWarn = () => {};

  /** Version-specific preparation of the controllers set() will write, after validation (v2: enable them). */
  protected prepare(_todo: ReadonlyArray<readonly [ResourceController, string]>): void {}

  set(resources: LinuxResources | undefined, warn: CgroupWarn = this.defaultWarn): void {
    if (resources === undefined) return;
    // Everything is decided before the first write, so a refused config changes nothing: the
    // values first (pure), then what the host must have (controller mounted and enabled, control
    // files, usage below a new limit), then the writes (controller.ts).
    validateResources(this.controllers, resources, warn);
    const todo = controllersToWrite(this.controllers, this.dirs, resources);
    this.prepare(todo);
    for (const [ctl, dir] of todo) ctl.check?.(this.cfs, dir, resources);
    for (const [ctl, dir] of todo) ctl.write(this.cfs, dir, resources, warn);
  }

  pids(): number[] {
    return readProcsRecursive(this.cfs, this.procsDir());
  }

  destroy(): void {
    const result = removeCreatedDirs(this.cfs, this.created, new Set(this.uniqueDirs()));
    this.created = result.remaining;
    if (result.failures.length > 0) {
      throw new CgroupError(`cannot remove cgroup directories: ${result.failures.join('; ')}`, { code: 'cgroup-busy' });
    }
    this.pruneSharedParents();
  }

  /**
   * The shared parent (".../tsrun") is made by whichever container came first; when that one is
   * deleted while others still live in it, nobody "owns" it any more. The last container out
   * removes it: rmdir each ancestor inside tsrun's own subtree while it is empty (rmdir(2) on
   * cgroupfs fails with EBUSY/ENOTEMPTY while a child cgroup or a process remains, so this can
   * never remove a cgroup in use).
   */
  private pruneSharedParents(): void {
    const base = TSRUN_CGROUP_PARENT.slice(1);
    for (const dir of this.uniqueDirs()) {
      const parts = dir.split('/');
      const at = parts.lastIndexOf(base);
      if (at < 0) continue;
      for (let end = parts.length - 1; end > at; end--) {
        try {
          this.cfs.rmdir(parts.slice(0, end).join('/'));
        } catch {
          break;
        }
      }
    }
    this.created = this.created.filter((d) => this.cfs.exists(d));
  }

  paths(): CgroupPaths {
    return { kind: this.kind, paths: { ...this.dirs }, createdDirs: [...this.created] };
  }
}
