// The shape every resource controller file implements, v1 and v2 alike (docs/ARCHITECTURE.md
// section 4: one file per controller). v1/ and v2/ each keep a list of them, and set() in
// base-manager.ts walks the list in stages, every controller through one stage before the next,
// so that a config the host cannot honour is refused with nothing written:
//   1. validate(r, warn)  pure checks of the spec values; runs even when applies() is false;
//   2. the manager's own preparation (v2: enable the controller in the ancestors);
//   3. check(...)         refusals against the live cgroup;
//   4. write(...)         the file writes.
import type { CgroupFs } from './cgroupfs';
import type { LinuxResources } from './types';

/** Receives a warning about a setting that was ignored or only partly applied (runc logs these). */
export type CgroupWarn = (message: string) => void;

export interface ResourceController {
  /** Key of the directory in CgroupPaths.paths this controller writes to ("pids", "devices", "unified"). */
  readonly hierarchy: string;
  /** JSON pointer of the spec field it implements, for error messages. */
  readonly pointer: string;
  /** Whether `resources` asks this controller for anything. */
  applies(resources: LinuxResources): boolean;
  /**
   * The pure checks of the spec values this controller implements (ranges, combinations the spec
   * forbids, formats): SpecError/UnsupportedError at the field's pointer, warnings for fields this
   * cgroup version ignores the way runc does. No host access; run for every controller, before
   * anything else, by set() and by nothing else.
   */
  validate(resources: LinuxResources, warn: CgroupWarn): void;
  /**
   * Optional refusals that need the host (a control file the kernel lacks, a limit below the
   * current usage): run for every applicable controller before the first write of set(), so a
   * refused config changes nothing. Throws CgroupError/SpecError; writes nothing.
   */
  check?(cfs: CgroupFs, dir: string, resources: LinuxResources): void;
  /** Write the controller's files in `dir`; throws CgroupError/SpecError; `warn` gets what was ignored. */
  write(cfs: CgroupFs, dir: string, resources: LinuxResources, warn?: CgroupWarn): void;
}
