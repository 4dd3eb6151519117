// process.ioPriority (config.md "I/O Priority", [v1.2.0]): ioprio_set(2) in the init stage.
//
// config.md says the setting applies to "the container's processes within the process group".
// Like runc (setIOPriority: IOPRIO_WHO_PROCESS, pid 0) and crun (libcrun_set_io_priority), tsrun
// sets it on the init process itself rather than with IOPRIO_WHO_PGRP: the I/O priority is
// inherited by every child (fork(2) copies the io context) and survives execve(2), so all of the
// container's processes get it; IOPRIO_WHO_PGRP would instead reach whatever process group the
// init stage was started in, which is the caller's on the host (tsrun's own, or the shell's).
import type { Sys } from '../sys/sys';
import { FieldError, SyscallError } from '../errors';
import type { IOPriorityClass, LinuxIOPriority } from '../spec/types';

/** <linux/ioprio.h>: IOPRIO_CLASS_RT = 1, BE = 2, IDLE = 3. */
const IOPRIO_CLASSES: Readonly<Record<IOPriorityClass, number>> = Object.freeze({
  IOPRIO_CLASS_RT: 1,
  IOPRIO_CLASS_BE: 2,
  IOPRIO_CLASS_IDLE: 3,
});
const IOPRIO_WHO_PROCESS = 1;
const IOPRIO_CLASS_SHIFT = 13;

/** IOPRIO_PRIO_VALUE(class, level); levels are 0 (highest) .. 7 (lowest) for RT and BE. */
export function ioprioValue(p: LinuxIOPriority): number {
  const cls = IOPRIO_CLASSES[p.class];
  if (cls === undefined) throw new FieldError('class', `unknown I/O priority class "${p.class}"`);
  const level = p.priority ?? 0;
  if (!Number.isInteger(level) || level < 0 || level > 7) throw new FieldError('priority', `I/O priority ${level} is outside 0..7`);
  return (cls << IOPRIO_CLASS_SHIFT) | level;
}

export function applyIoPriority(sys: Sys, p: LinuxIOPriority): void {
  const value = ioprioValue(p);
  try {
    sys.ioprioSet(IOPRIO_WHO_PROCESS, 0, value);
  } catch (e) {
    if (e instanceof SyscallError) {
      const why = e.errnoCode === 'EPERM' ? `${p.class} needs CAP_SYS_ADMIN (or CAP_SYS_NICE)` : `${p.class} level ${p.priority ?? 0}`;
      throw new SyscallError('ioprio_set', e.errno, undefined, why);
    }
    throw e;
  }
}
