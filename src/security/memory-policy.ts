// linux.memoryPolicy (config-linux.md "Memory policy", [v1.3.0]): set_mempolicy(2) in the init
// stage. The policy is a property of the calling thread; it "is preserved across an execve(2)"
// and inherited by children (set_mempolicy(2)), so it is set on the main thread, the one that
// calls execve. The kernel is the judge of what this host can take (nodes that do not exist or
// are not in the cpuset, a mode the kernel predates): its EINVAL becomes a create error.
import type { Sys } from '../sys/sys';
import { FieldError, SyscallError } from '../errors';
import { parseIdList } from './cpu-affinity';
import type { LinuxMemoryPolicy, MemoryPolicyFlag, MemoryPolicyMode } from '../spec/types';

/** <linux/mempolicy.h> modes. */
export const MPOL_MODES: Readonly<Record<MemoryPolicyMode, number>> = Object.freeze({
  MPOL_DEFAULT: 0,
  MPOL_PREFERRED: 1,
  MPOL_BIND: 2,
  MPOL_INTERLEAVE: 3,
  MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
});

/** <linux/mempolicy.h> mode flags, OR-ed into the mode argument. */
export const MPOL_FLAGS: Readonly<Record<MemoryPolicyFlag, number>> = Object.freeze({
  MPOL_F_STATIC_NODES: 1 << 15,
  MPOL_F_RELATIVE_NODES: 1 << 14,
  MPOL_F_NUMA_BALANCING: 1 << 13,
});

/** Modes whose nodemask must be empty (set_mempolicy(2): MPOL_DEFAULT, MPOL_LOCAL). */
const NO_NODES: readonly MemoryPolicyMode[] = ['MPOL_DEFAULT', 'MPOL_LOCAL'];
/** Modes that need at least one node (an empty mask is EINVAL); MPOL_PREFERRED reads empty as "local". */
const NEED_NODES: readonly MemoryPolicyMode[] = ['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'];

export interface MempolicyArgs {
  /** mode | flags */
  mode: number;
  /** The nodemask as unsigned longs (64-bit words, little-endian), or null for an empty set. */
  nodemask: Buffer | null;
  /** set_mempolicy's maxnode: the kernel reads maxnode - 1 bits (mm/mempolicy.c get_nodes()). */
  maxnode: number;
}

/**
 * Checks a policy the kernel would refuse for sure and builds the syscall's arguments. Throws a
 * FieldError naming the field it is about ("mode", "nodes", "flags").
 */
export function mempolicyArgs(p: LinuxMemoryPolicy): MempolicyArgs {
  const mode = MPOL_MODES[p.mode];
  if (mode === undefined) throw new FieldError('mode', `unknown memory policy mode "${p.mode}"`);
  let nodes: number[];
  try {
    nodes = parseIdList(p.nodes ?? '', 'node');
  } catch (e) {
    throw e instanceof FieldError ? e.in('nodes') : e;
  }
  const flags = p.flags ?? [];
  let bits = 0;
  for (const f of flags) {
    const bit = MPOL_FLAGS[f];
    if (bit === undefined) throw new FieldError('flags', `unknown memory policy flag "${f}"`);
    bits |= bit;
  }
  if (NO_NODES.includes(p.mode) && nodes.length) throw new FieldError('nodes', `must be empty with ${p.mode}`);
  if (NEED_NODES.includes(p.mode) && !nodes.length) throw new FieldError('nodes', `${p.mode} needs at least one node`);
  if (p.mode === 'MPOL_DEFAULT' && flags.length) throw new FieldError('flags', 'MPOL_DEFAULT takes no flags');
  if (flags.includes('MPOL_F_STATIC_NODES') && flags.includes('MPOL_F_RELATIVE_NODES')) {
    throw new FieldError('flags', 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be combined');
  }
  if (!nodes.length) return { mode: mode | bits, nodemask: null, maxnode: 0 };
  const words = Math.floor(nodes[nodes.length - 1] / 64) + 1;
  const mask = Buffer.alloc(words * 8);
  for (const n of nodes) {
    const byte = Math.floor(n / 8);
    mask[byte] |= 1 << (n % 8);
  }
  return { mode: mode | bits, nodemask: mask, maxnode: words * 64 + 1 };
}

export function applyMemoryPolicy(sys: Sys, p: LinuxMemoryPolicy): void {
  const a = mempolicyArgs(p);
  try {
    sys.setMempolicy(a.mode, a.nodemask, a.maxnode);
  } catch (e) {
    if (e instanceof SyscallError) {
      const why = e.errnoCode === 'EINVAL'
        ? `the kernel refused ${p.mode}${p.nodes ? ` on nodes "${p.nodes}"` : ''}${p.flags?.length ? ` with ${p.flags.join('|')}` : ''} (nodes not online or not allowed to this process, or a mode/flag this kernel lacks)`
        : `${p.mode}`;
      throw new SyscallError('set_mempolicy', e.errno, undefined, why);
    }
    throw e;
  }
}
