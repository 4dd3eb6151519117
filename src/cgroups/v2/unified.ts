// linux.resources.unified [v1.1.0] (config-linux.md "Unified"): cgroup v2 file name -> value,
// written to the container's cgroup after every other controller (as runc does, so an explicit
// unified value wins over a converted v1-style field). The spec's three rules:
//   - "the runtime MUST ensure that the needed cgroup controllers are enabled": the key's prefix
//     ("memory" of "memory.high") is enabled down the ancestors when the host has that controller
//     (hierarchy.ts ensureController);
//   - "configuration unknown to the runtime MUST still be written": any key is written as given;
//   - "MUST generate an error when the configuration refers to a cgroup controller that is not
//     present or cannot be enabled": a prefix that is neither a controller of the host nor backed
//     by an existing file (e.g. cpu.pressure exists without the cpu controller) is an error before
//     anything is written, and so is a controller that refuses to be enabled.
// Keys are file names, never paths: "/", "." and ".." are refused (a key like "../../x" would
// otherwise write outside the container's cgroup), and so are the core files tsrun itself drives
// (membership, freezing, killing, the controller tree): cgroup.procs, cgroup.threads,
// cgroup.subtree_control, cgroup.type, cgroup.freeze, cgroup.kill.
// A value of several lines (the spec's io.max example) is written one line per write(2), because
// keyed files like io.max parse one entry per write (runc's WriteFileByLine).
// Verified on this host's real cgroup2 mount: hugetlb.2MB.max written and read back, "memory.max"
// refused because this host's cgroup2 has no memory controller, unknown prefixes refused.
import path = require('node:path');
import { SpecError } from '../../errors';
import { writeCgroupFile } from '../cgroupfs';
import { CgroupError } from '../errors';
import type { LinuxResources } from '../types';
import type { V2Controller } from './controller-v2';
import { ensureController, hostHasController } from './hierarchy';

const POINTER = '/linux/resources/unified';
const MANAGED = new Set(['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control', 'cgroup.type', 'cgroup.freeze', 'cgroup.kill']);

const pointerOf = (key: string) => `${POINTER}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** The controller a key belongs to ("memory" for "memory.high"); "cgroup" for core files. */
export function unifiedController(key: string): string {
  return key.slice(0, key.indexOf('.'));
}

function checkKey(key: string, value: unknown): void {
  const at = pointerOf(key);
  if (key.includes('/') || key === '.' || key === '..' || /[\0\n]/.test(key)) {
    throw new SpecError(at, 'must be a file name of the cgroup (no "/", "." or "..")');
  }
  if (!/^[A-Za-z0-9_]+\.[^.]/.test(key)) throw new SpecError(at, 'must have the form CONTROLLER.PARAMETER, like "memory.high"');
  if (MANAGED.has(key)) throw new SpecError(at, `${key} is managed by the runtime itself and cannot be set through linux.resources.unified`);
  if (typeof value !== 'string') throw new SpecError(at, `value must be a string, got ${JSON.stringify(value)}`);
  if (value.trim() === '') throw new SpecError(at, 'value must not be empty');
}

export const unifiedV2: V2Controller = {
  hierarchy: 'unified',
  pointer: POINTER,
  applies: (r: LinuxResources) => Object.keys(r.unified ?? {}).length > 0,
  validate(r) {
    for (const [key, value] of Object.entries(r.unified ?? {})) checkKey(key, value);
  },
  check(cfs, dir, r) {
    for (const key of Object.keys(r.unified ?? {})) {
      const controller = unifiedController(key);
      if (controller === 'cgroup') continue; // core files exist in every cgroup
      if (hostHasController(cfs, dir, controller)) {
        ensureController(cfs, dir, controller, pointerOf(key));
      } else if (!cfs.exists(path.join(dir, key))) {
        throw new CgroupError(`cannot apply ${pointerOf(key)}: it refers to the cgroup v2 controller "${controller}", which is not present on this host`, {
          path: path.join(dir, key),
          code: 'cgroup-missing',
        });
      }
    }
  },
  write(cfs, dir, r) {
    for (const [key, value] of Object.entries(r.unified ?? {})) {
      const file = path.join(dir, key);
      for (const line of value.split('\n').filter((l) => l.trim() !== '')) writeCgroupFile(cfs, file, line);
    }
  },
};
