// cgroup v2 `memory` controller (Documentation/admin-guide/cgroup-v2.rst "Memory"):
//   limit        -> memory.max        (-1 = "max"; 0 = unset, as runc's numToStr)
//   reservation  -> memory.low        (best-effort protection, the v2 reading of a soft limit)
//   swap         -> memory.swap.max   = swap - limit (the spec's swap is memory+swap; convert-v2.ts)
// written in runc's order (swap, max, low). Fields with no v2 file are ignored with a warning, as
// runc ignores them: swappiness (no per-cgroup knob on v2), kernel/kernelTCP (v2 accounts kernel
// memory inside memory.max), disableOOMKiller (memory.oom.group is something else: it kills the
// whole group instead of one task, it never disables the killer), useHierarchy false (v2 is always
// hierarchical).
// checkBeforeUpdate [v1.1.0]: a new limit lower than the current usage is refused before anything
// is written (config-linux.md "Memory"; runc compares with memory.current, best effort).
// Stats: memory.current/max/peak, memory.swap.current/max (reported as memory+swap, v1 style, like
// runc), memory.stat as raw (cache = file), memory.events for failcnt and oom_kill.
// Verified only against the fake cgroupfs: this host's cgroup2 mount has no memory controller.
import path = require('node:path');
import { type CgroupFs, writeCgroupFile } from '../cgroupfs';
import { CgroupError } from '../errors';
import { limitValueV2, memorySwapV2 } from '../convert-v2';
import type { Memory, MemoryEntry } from '../stats';
import type { LinuxResources } from '../types';
import { integerIn, type V2Controller, type Warn } from './controller-v2';
import { readFlatKeyed, readValue, UNLIMITED } from './stat-files';

const POINTER = '/linux/resources/memory';

interface MemoryWrites {
  swap: string;
  max: string;
  low: string;
}

/** The three file values for `r.memory` ("" = leave the file alone). Throws SpecError. */
export function memoryWrites(r: LinuxResources): MemoryWrites {
  const m = r.memory ?? {};
  const limit = m.limit === undefined ? 0 : integerIn(m.limit, `${POINTER}/limit`, -1);
  const low = m.reservation === undefined ? 0 : integerIn(m.reservation, `${POINTER}/reservation`, -1);
  const swapSpec = m.swap === undefined ? 0 : integerIn(m.swap, `${POINTER}/swap`, -1);
  const swap = memorySwapV2(swapSpec, limit);
  // swap == limit converts to 0, which limitValueV2 reads as "unset": here it means "no swap".
  const swapValue = swap === 0 && swapSpec > 0 ? '0' : limitValueV2(swap);
  return { swap: swapValue, max: limitValueV2(limit), low: limitValueV2(low) };
}

function warnIgnored(r: LinuxResources, warn: Warn): void {
  const m = r.memory;
  if (m === undefined) return;
  if (m.swappiness !== undefined) warn(`${POINTER}/swappiness is ignored: cgroup v2 has no per-cgroup swappiness (runc ignores it too)`);
  if (m.kernel !== undefined && m.kernel !== 0) warn(`${POINTER}/kernel is ignored: cgroup v2 counts kernel memory in memory.max (runc ignores it too)`);
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0) warn(`${POINTER}/kernelTCP is ignored: cgroup v2 counts socket memory in memory.max (runc ignores it too)`);
  if (m.disableOOMKiller === true) {
    warn(`${POINTER}/disableOOMKiller is ignored: cgroup v2 cannot disable the OOM killer for a cgroup (runc ignores it too)`);
  }
  if (m.useHierarchy === false) warn(`${POINTER}/useHierarchy false is ignored: cgroup v2 accounting is always hierarchical`);
}

function checkBeforeUpdate(cfs: CgroupFs, dir: string, r: LinuxResources): void {
  const m = r.memory;
  if (m?.checkBeforeUpdate !== true) return;
  // Best effort, like runc: no usage to compare with (cgroup not populated yet) means no check.
  const usage = readValue(cfs, path.join(dir, 'memory.current'));
  if (usage === undefined) return;
  if (m.limit !== undefined && m.limit > 0 && m.limit < usage) {
    throw new CgroupError(`${POINTER}/limit: refusing memory limit ${m.limit}, lower than the current usage ${usage} (checkBeforeUpdate)`, { code: 'cgroup-limit' });
  }
  if (m.swap !== undefined && m.swap > 0) {
    const swapUsage = readValue(cfs, path.join(dir, 'memory.swap.current')) ?? 0;
    if (m.swap < usage + swapUsage) {
      throw new CgroupError(`${POINTER}/swap: refusing memory+swap limit ${m.swap}, lower than the current usage ${usage + swapUsage} (checkBeforeUpdate)`, {
        code: 'cgroup-limit',
      });
    }
  }
}

export const memoryV2: V2Controller = {
  hierarchy: 'unified',
  controller: 'memory',
  pointer: POINTER,
  applies(r) {
    if (r.memory === undefined) return false;
    const w = memoryWrites(r);
    return w.swap !== '' || w.max !== '' || w.low !== '';
  },
  validate(r, warn) {
    if (r.memory === undefined) return;
    if (r.memory.swappiness !== undefined) integerIn(r.memory.swappiness, `${POINTER}/swappiness`, 0, 100);
    memoryWrites(r);
    warnIgnored(r, warn);
  },
  check: checkBeforeUpdate,
  write(cfs, dir, r) {
    const w = memoryWrites(r);
    if (w.swap !== '') {
      const file = path.join(dir, 'memory.swap.max');
      // No memory.swap.max means no swap accounting (CONFIG_MEMCG_SWAP off or swapaccount=0):
      // "unlimited" and "none" then need no file, as in runc; a real swap limit is an error.
      if (cfs.exists(file) || (w.swap !== 'max' && w.swap !== '0')) writeCgroupFile(cfs, file, w.swap);
    }
    if (w.max !== '') writeCgroupFile(cfs, path.join(dir, 'memory.max'), w.max);
    if (w.low !== '') writeCgroupFile(cfs, path.join(dir, 'memory.low'), w.low);
  },
};

function entry(usage: number | undefined, limit: number | undefined, peak: number | undefined, failcnt: number | undefined): MemoryEntry {
  const e: MemoryEntry = { limit: limit ?? UNLIMITED, failcnt: failcnt ?? 0 };
  if (usage !== undefined) e.usage = usage;
  if (peak !== undefined) e.max = peak;
  return e;
}

/** Memory stats of `dir`, or undefined when the memory controller is not enabled there. */
export function statMemoryV2(cfs: CgroupFs, dir: string): Memory | undefined {
  const current = readValue(cfs, path.join(dir, 'memory.current'));
  if (current === undefined) return undefined;
  const limit = readValue(cfs, path.join(dir, 'memory.max'));
  const events = readFlatKeyed(cfs, path.join(dir, 'memory.events'));
  // memory.peak: Linux 5.19+; "max" in runc's MemoryData is the high-water mark.
  const out: Memory = { usage: entry(current, limit, readValue(cfs, path.join(dir, 'memory.peak')), events?.max) };
  const raw = readFlatKeyed(cfs, path.join(dir, 'memory.stat'));
  if (raw !== undefined) {
    out.raw = raw;
    if (raw.file !== undefined) out.cache = raw.file;
  }
  const swapCurrent = readValue(cfs, path.join(dir, 'memory.swap.current'));
  if (swapCurrent !== undefined) {
    // v1 reported memory+swap together; runc keeps that reading on v2 so consumers see one meaning.
    const swapMax = readValue(cfs, path.join(dir, 'memory.swap.max'));
    const memLimit = limit ?? UNLIMITED;
    const combined = swapMax === undefined || swapMax === UNLIMITED || memLimit === UNLIMITED ? UNLIMITED : swapMax + memLimit;
    const swapEvents = readFlatKeyed(cfs, path.join(dir, 'memory.swap.events'));
    out.swap = entry(swapCurrent + current, combined, undefined, swapEvents?.max);
  }
  return out;
}

/** memory.events oom_kill: how often the OOM killer killed a task of the cgroup (0 without the controller). */
export function oomKillCountV2(cfs: CgroupFs, dir: string): number {
  return readFlatKeyed(cfs, path.join(dir, 'memory.events'))?.oom_kill ?? 0;
}
