// process.scheduler (config.md "Scheduler", [v1.2.0]): sched_setattr(2) on the init stage's main
// thread, the one that calls execve. Policy and attributes survive execve(2) and are inherited by
// the program's children (unless SCHED_FLAG_RESET_ON_FORK), so the container's whole process tree
// runs under them. Applied while the init stage still holds the runtime's capabilities: the
// real-time policies, a lower nice value and SCHED_DEADLINE need CAP_SYS_NICE (sched(7)).
import type { Sys } from '../sys/sys';
import { FieldError, SyscallError } from '../errors';
import type { Scheduler, SchedulerFlag, SchedulerPolicy } from '../spec/types';

/** <linux/sched.h> policy numbers. SCHED_ISO (4) is reserved but was never merged into mainline. */
const SCHED_POLICIES: Readonly<Record<SchedulerPolicy, number>> = Object.freeze({
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
});

/** <linux/sched.h> SCHED_FLAG_* bits of sched_attr.sched_flags. */
const SCHED_FLAGS: Readonly<Record<SchedulerFlag, number>> = Object.freeze({
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
});

/** SCHED_ATTR_SIZE_VER1: the struct with sched_util_min/max (Linux 5.3+). */
export const SCHED_ATTR_SIZE = 56;

/**
 * struct sched_attr (sched_setattr(2)), little-endian on the architectures tsrun supports:
 *   u32 size, u32 sched_policy, u64 sched_flags, s32 sched_nice, u32 sched_priority,
 *   u64 sched_runtime, u64 sched_deadline, u64 sched_period, u32 sched_util_min, u32 sched_util_max.
 * The spec has no utilization clamp values, so with SCHED_FLAG_UTIL_CLAMP_* the clamps are 0
 * (sched_util_min = 0: no boost; sched_util_max = 0: the kernel reads it as the lowest cap).
 */
export function encodeSchedAttr(s: Scheduler): Buffer {
  const policy = SCHED_POLICIES[s.policy];
  if (policy === undefined) throw new FieldError('policy', `unknown scheduler policy "${s.policy}"`);
  let flags = 0;
  for (const f of s.flags ?? []) {
    const bit = SCHED_FLAGS[f];
    if (bit === undefined) throw new FieldError('flags', `unknown scheduler flag "${f}"`);
    flags |= bit;
  }
  const b = Buffer.alloc(SCHED_ATTR_SIZE);
  b.writeUInt32LE(SCHED_ATTR_SIZE, 0);
  b.writeUInt32LE(policy, 4);
  b.writeBigUInt64LE(BigInt(flags), 8);
  b.writeInt32LE(s.nice ?? 0, 16);
  b.writeUInt32LE(s.priority ?? 0, 20);
  b.writeBigUInt64LE(BigInt(s.runtime ?? 0), 24);
  b.writeBigUInt64LE(BigInt(s.deadline ?? 0), 32);
  b.writeBigUInt64LE(BigInt(s.period ?? 0), 40);
  // 48: sched_util_min, 52: sched_util_max (left 0).
  return b;
}

/** Why the kernel refused, in words, for the errors a valid config can still meet. */
export function explainSchedError(s: Scheduler, errnoCode: string): string {
  if (errnoCode === 'EINVAL' && s.policy === 'SCHED_ISO') return 'SCHED_ISO is not implemented by mainline Linux kernels';
  if (errnoCode === 'EINVAL' && s.policy === 'SCHED_DEADLINE') {
    return 'the kernel refused the SCHED_DEADLINE parameters (it needs 1024 <= runtime <= deadline <= period, in ns)';
  }
  if (errnoCode === 'EINVAL') return `the kernel refused policy ${s.policy} with these parameters`;
  if (errnoCode === 'EPERM' && (s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR')) {
    // With CONFIG_RT_GROUP_SCHED a cgroup v1 cpu group starts with cpu.rt_runtime_us = 0, and
    // the kernel refuses real-time tasks in it even for root (sched-rt-group.rst).
    return `not permitted to set policy ${s.policy} (needs CAP_SYS_NICE; with real-time group scheduling the container's cgroup also needs linux.resources.cpu.realtimeRuntime)`;
  }
  if (errnoCode === 'EPERM') return `not permitted to set policy ${s.policy} (needs CAP_SYS_NICE, or RLIMIT_NICE room)`;
  if (errnoCode === 'EBUSY') return 'not enough SCHED_DEADLINE bandwidth on this host (admission control)';
  if (errnoCode === 'EOPNOTSUPP') return 'utilization clamping is not supported by this kernel (CONFIG_UCLAMP_TASK)';
  return `policy ${s.policy}`;
}

/** sched_setattr(0, &attr, 0) for the calling thread. */
export function applyScheduler(sys: Sys, s: Scheduler): void {
  const attr = encodeSchedAttr(s);
  try {
    sys.schedSetattr(attr);
  } catch (e) {
    if (e instanceof SyscallError) throw new SyscallError('sched_setattr', e.errno, undefined, explainSchedError(s, e.errnoCode));
    throw e;
  }
}
