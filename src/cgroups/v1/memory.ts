// cgroup v1 `memory` controller: linux.resources.memory (config-linux.md "Memory") written to
// the files of Documentation/admin-guide/cgroup-v1/memory.rst:
//   limit        -> memory.limit_in_bytes        swap (memory+swap!) -> memory.memsw.limit_in_bytes
//   reservation  -> memory.soft_limit_in_bytes   swappiness (0..100) -> memory.swappiness
//   disableOOMKiller -> memory.oom_control       useHierarchy        -> memory.use_hierarchy
//   kernelTCP    -> memory.kmem.tcp.limit_in_bytes (the TCP socket buffer limit, memory.rst
//                   "Kernel Memory Extension"), where the kernel has that file and takes the write;
//                   otherwise a warning. Linux 6.18 still accepts, enforces and reads it back
//                   (memory.rst lists it as deprecated), so tsrun applies it where runc 1.2 ignores it.
//   kernel       -> ignored with a warning, as runc 1.2 does: memory.kmem.limit_in_bytes still takes
//                   a write, but memory.rst says "Kernel hard limit is not supported since 5.16.
//                   Writing any value to do file will not have any effect" (6.18 logs the same).
// -1 means unlimited and is written as is (the kernel's page_counter_memparse reads "-1" as
// PAGE_COUNTER_MAX); 0 means "not set", as in runc. Usage and events are read in memory-stats.ts.
import type { CgroupFs } from '../cgroupfs';
import type { CgroupWarn, ResourceController } from '../controller';
import { intString } from '../convert';
import { CgroupError } from '../errors';
import type { LinuxResources } from '../types';
import { hasFile, readCounter, readOptional, writeExplained } from './files';
import { SpecError } from '../../errors';
import { checkInt } from './values';

const POINTER = '/linux/resources/memory';
const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';
const USAGE = 'memory.usage_in_bytes';
const MAX_USAGE = 'memory.max_usage_in_bytes';
const KMEM_TCP = 'memory.kmem.tcp.limit_in_bytes';

type Memory = NonNullable<LinuxResources['memory']>;

/** The limit and memory+swap values to write ("0" entries are skipped), after the host's memsw support is known. */
function limits(m: Memory, memswExists: boolean): { limit: number; swap: number } {
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  // runc: an unlimited memory limit with swap left unset also lifts memory+swap; otherwise the
  // kernel refuses a memory limit above the current memsw limit (EINVAL).
  if (limit === -1 && swap === 0 && memswExists) swap = -1;
  // Without swap accounting there is no memsw file; check() has refused every swap value that
  // would change the meaning of the config, the rest (-1, or swap == limit) is skipped.
  if (!memswExists) swap = 0;
  return { limit, swap };
}

function explainLimit(cfs: CgroupFs, dir: string, value: number): (errno: string | undefined) => string | undefined {
  return (errno) => {
    if (errno === 'EBUSY') {
      // memory.rst 2.5: the kernel reclaims down to a new lower limit and fails EBUSY if it cannot.
      const usage = readOptional(cfs, dir, USAGE) ?? '?';
      const peak = readOptional(cfs, dir, MAX_USAGE) ?? '?';
      return `the cgroup uses ${usage} bytes (peak ${peak}), more than the new limit ${intString(value)}, and the kernel could not reclaim enough`;
    }
    if (errno === 'EINVAL' && hasFile(cfs, dir, MEMSW)) {
      const memsw = readOptional(cfs, dir, MEMSW) ?? '?';
      return `the memory limit cannot exceed the memory+swap limit (${MEMSW} is ${memsw}); set linux.resources.memory.swap as well`;
    }
    return undefined;
  };
}

function explainSwap(cfs: CgroupFs, dir: string): (errno: string | undefined) => string | undefined {
  return (errno) =>
    errno === 'EINVAL' ? `linux.resources.memory.swap is the memory+swap limit and cannot be below the memory limit (${LIMIT} is ${readOptional(cfs, dir, LIMIT) ?? '?'})` : undefined;
}

/**
 * Write memory and memory+swap in the order the kernel accepts: memsw must stay >= the memory
 * limit after every single write (memory.rst 2.4). Raising both: memsw first, then the limit;
 * lowering both: the limit first, then memsw. runc's fs driver decides the same way from the
 * current memory limit.
 */
function writeLimits(cfs: CgroupFs, dir: string, limit: number, swap: number): void {
  const setLimit = () => limit !== 0 && writeExplained(cfs, dir, LIMIT, intString(limit), explainLimit(cfs, dir, limit));
  const setSwap = () => swap !== 0 && writeExplained(cfs, dir, MEMSW, intString(swap), explainSwap(cfs, dir));
  if (limit !== 0 && swap !== 0) {
    const current = readCounter(cfs, dir, LIMIT);
    if (swap === -1 || current < swap) {
      setSwap();
      setLimit();
      return;
    }
  }
  setLimit();
  setSwap();
}

/**
 * kernelTCP is a tuning of socket buffers, not a limit the container depends on to stay inside
 * its memory (memory.limit_in_bytes counts those buffers too): where the kernel cannot take it,
 * the container is created anyway and the reason is a warning. The file is missing where the
 * kernel has no such accounting (memory.rst marks it deprecated, so later kernels may drop it);
 * the write fails EBUSY when the cgroup's sockets already hold more than the new limit
 * (page_counter_set_max) and EINVAL for a value the kernel cannot parse.
 */
function writeKernelTCP(cfs: CgroupFs, dir: string, value: number, warn: CgroupWarn): void {
  if (!hasFile(cfs, dir, KMEM_TCP)) {
    warn(`${POINTER}/kernelTCP is ignored: this kernel has no kmem.tcp accounting (${KMEM_TCP} is missing)`);
    return;
  }
  try {
    writeExplained(cfs, dir, KMEM_TCP, intString(value));
  } catch (err) {
    if (!(err instanceof CgroupError)) throw err;
    const why = err.errnoCode === 'EBUSY' ? ': the cgroup\'s TCP buffers already use more than that' : '';
    warn(`${POINTER}/kernelTCP is not applied: the kernel refused ${intString(value)} for ${KMEM_TCP} (${err.errnoCode ?? err.message})${why}`);
  }
}

function isSet(m: Memory | undefined): m is Memory {
  return m !== undefined && Object.values(m).some((v) => v !== undefined && v !== null);
}

export const memoryV1: ResourceController = {
  hierarchy: 'memory',
  pointer: POINTER,
  applies: (r) => isSet(r.memory),
  validate(r) {
    const m = r.memory;
    if (m === undefined || m === null) return;
    // config-linux.md "Memory": byte values are int64 with -1 = unlimited.
    for (const key of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) checkInt(m[key], `${POINTER}/${key}`, -1);
    checkInt(m.swappiness, `${POINTER}/swappiness`, 0, 100);
    const limit = m.limit ?? 0;
    const swap = m.swap ?? 0;
    // swap is the memory+swap limit, so it can never be below the memory limit (memory.rst 2.4;
    // runc refuses the same on v1 and v2).
    if (limit > 0 && swap > 0 && swap < limit) {
      throw new SpecError(`${POINTER}/swap`, `is the memory+swap limit and must be at least the memory limit (${limit}), or -1; got ${swap}`);
    }
    if (limit === -1 && swap > 0) throw new SpecError(`${POINTER}/swap`, 'cannot be limited while the memory limit is -1 (unlimited)');
  },

  check(cfs, dir, r) {
    const m = r.memory;
    if (m === undefined) return;
    const swap = m.swap ?? 0;
    if (swap !== 0 && swap !== -1 && swap !== m.limit && !hasFile(cfs, dir, MEMSW)) {
      throw new CgroupError(
        `${POINTER}/swap: this kernel does not account swap per cgroup (${MEMSW} is missing; it needs CONFIG_MEMCG_SWAP and swapaccount=1), so a memory+swap limit cannot be applied`,
        { code: 'cgroup-unsupported', path: dir },
      );
    }
    // config-linux.md: with checkBeforeUpdate the runtime MUST reject a limit below the current
    // usage. The v1 kernel would try to reclaim first (and may push pages to swap); refusing up
    // front keeps the running container untouched.
    const limit = m.limit ?? 0;
    if (m.checkBeforeUpdate === true && limit > 0) {
      const usage = readCounter(cfs, dir, USAGE);
      if (limit < usage) {
        throw new CgroupError(`${POINTER}/limit: the new limit ${intString(limit)} is below the current usage of ${usage} bytes (checkBeforeUpdate)`, {
          code: 'cgroup-limit',
          path: dir,
        });
      }
    }
  },

  write(cfs, dir, r, warn: CgroupWarn = () => {}) {
    const m = r.memory;
    if (m === undefined) return;
    // runc 1.2 (specconv): "Kernel memory settings are ignored and will be removed".
    if (m.kernel !== undefined && m.kernel !== null) {
      warn(`${POINTER}/kernel is ignored: the kernel no longer enforces kernel memory limits (memory.kmem.limit_in_bytes has no effect since Linux 5.16; runc ignores it too)`);
    }

    // First, while the cgroup is still childless: the kernel only lets use_hierarchy change then.
    if (m.useHierarchy !== undefined) {
      writeExplained(cfs, dir, 'memory.use_hierarchy', m.useHierarchy ? '1' : '0', (errno) => {
        if (errno === 'EINVAL' && !m.useHierarchy) return 'this kernel always accounts memory hierarchically (non-hierarchical mode was removed in Linux 5.15); remove useHierarchy: false';
        if (errno === 'EBUSY') return 'use_hierarchy can only change while the cgroup has no child cgroups';
        return undefined;
      });
    }

    const memswExists = hasFile(cfs, dir, MEMSW);
    const { limit, swap } = limits(m, memswExists);
    if (!memswExists && m.swap !== undefined && m.swap !== 0 && m.swap !== -1) {
      warn(`${POINTER}/swap equals the memory limit but this kernel does not account swap per cgroup (${MEMSW} is missing): swap use is not restricted`);
    }
    writeLimits(cfs, dir, limit, swap);

    if (m.reservation !== undefined && m.reservation !== 0) writeExplained(cfs, dir, 'memory.soft_limit_in_bytes', intString(m.reservation));
    // Where runc 1.0 wrote it: after the reservation, before oom_control. 0 means "not set".
    if (m.kernelTCP !== undefined && m.kernelTCP !== null && m.kernelTCP !== 0) writeKernelTCP(cfs, dir, m.kernelTCP, warn);
    // The OOM killer is on by default; false is written too so `update` can turn it back on.
    if (m.disableOOMKiller !== undefined) writeExplained(cfs, dir, 'memory.oom_control', m.disableOOMKiller ? '1' : '0');
    if (m.swappiness !== undefined) writeExplained(cfs, dir, 'memory.swappiness', String(m.swappiness));
  },
};
