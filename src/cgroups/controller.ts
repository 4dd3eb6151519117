// The shape every resource controller file implements (docs/ARCHITECTURE.md section 4: one file
// per controller exposing applies(resources) and write(dir, resources)); v1/ and v2/ each keep a
// list of them, and the manager of that version walks its list.
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
   * Optional refusals that need the host (a control file the kernel lacks, a limit below the
   * current usage): run for every applicable controller before the first write of set(), so a
   * refused config changes nothing. Throws CgroupError/SpecError; writes nothing.
   */
  check?(cfs: CgroupFs, dir: string, resources: LinuxResources): void;
  /** Write the controller's files in `dir`; throws CgroupError/SpecError; `warn` gets what was ignored. */
  write(cfs: CgroupFs, dir: string, resources: LinuxResources, warn?: CgroupWarn): void;
}
