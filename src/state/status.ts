// Container status derived from facts on every read (runc does the same in container_linux.go
// refreshState): is the recorded pid alive and still the process we started (same start time),
// does the exec fifo still exist (created: init waits on it), is the cgroup frozen (paused).
import fs = require('node:fs');
import path = require('node:path');
import { StateError } from '../errors';
import type { ContainerStatus } from '../spec/types';
import type { ContainerRecord } from './store';
import { FIFO_NAME } from './store';

/** runtime.md "State" status; one union for the whole project (spec/types.ts). */
export type Status = ContainerStatus;

/** /proc/<pid>/stat fields after the command name: [state, ppid, ..., starttime at index 19]. */
export function readProcStat(pid: number): { state: string; startTime: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

/** Parses /proc/<pid>/stat; the comm field may hold spaces and parens, so split after the last ')'. */
export function parseProcStat(text: string): { state: string; startTime: number } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // proc(5): field 3 is state, field 22 is starttime; rest[0] is field 3.
  const startTime = Number(rest[19]);
  if (!rest[0] || !Number.isFinite(startTime)) return undefined;
  return { state: rest[0], startTime };
}

/** True when `pid` still runs and is the process we recorded (a zombie counts as exited). */
export function isOurProcessAlive(pid: number, startTime: number): boolean {
  if (!pid) return false;
  const st = readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return st.startTime === startTime;
}

export interface StatusFacts {
  alive: boolean;
  fifoExists: boolean;
  frozen: boolean;
}

/** The pure decision, separate from the fact gathering so it can be unit tested. */
export function statusFromFacts(rec: Pick<ContainerRecord, 'lastStatus' | 'pid'>, facts: StatusFacts): Status {
  if (rec.lastStatus === 'creating' && !rec.pid) return 'creating';
  if (!facts.alive) return 'stopped';
  // Alive but create has not finished (or was killed midway): not `created` until it says so.
  if (rec.lastStatus === 'creating') return 'creating';
  if (facts.frozen) return 'paused';
  return facts.fifoExists ? 'created' : 'running';
}

export function deriveStatus(rec: ContainerRecord, containerDir: string, frozen: () => boolean = () => false): Status {
  const alive = isOurProcessAlive(rec.pid, rec.startTime);
  const fifoExists = alive && fs.existsSync(path.join(containerDir, FIFO_NAME));
  return statusFromFacts(rec, { alive, fifoExists, frozen: alive && frozen() });
}

// --- what each verb allows in each status ----------------------------------------------------------
// The rules, one pure function per verb (youki keeps them beside its status in state.rs): each
// returns the StateError the verb must throw, or undefined when the status allows it. The messages
// are runc's (libcontainer/container_linux.go, and its verbs' ErrNotRunning "container not
// running"); clients and the conformance cases match on them.

/** runc's ErrNotRunning text: the container has no live process to act on. */
export function notRunning(): StateError {
  return new StateError('container not running');
}

/**
 * `start`: only a created container (runtime.md "start"), and only one with a process to start
 * (config.md makes `process` optional for create; start is what needs it).
 */
export function canStart(status: Status, hasProcess: boolean): StateError | undefined {
  if (status === 'created') {
    return hasProcess ? undefined : new StateError('cannot start a container without a process (config.json has no "process")');
  }
  if (status === 'stopped') return new StateError('cannot start a container that has stopped');
  if (status === 'running') return new StateError('cannot start an already running container');
  return new StateError(`cannot start a container in the ${status} state`);
}

/**
 * `pause`: a running or created container. runc pauses a created one too (its init waits on the
 * exec fifo; freezing it is harmless and `resume` gives back `created`).
 */
export function canPause(status: Status): StateError | undefined {
  return status === 'running' || status === 'created' ? undefined : notRunning();
}

/** `resume`: only a paused container. */
export function canResume(status: Status): StateError | undefined {
  return status === 'paused' ? undefined : new StateError('container not paused');
}

/** `exec`: a created or running container; a paused one only with --ignore-paused (runc exec). */
export function canExec(status: Status, ignorePaused: boolean): StateError | undefined {
  if (status === 'stopped') return new StateError('cannot exec in a stopped container');
  if (status === 'paused' && !ignorePaused) return new StateError('cannot exec in a paused container (use --ignore-paused to override)');
  if (status === 'creating') return new StateError('cannot exec in a container that is still being created');
  return undefined;
}

/**
 * `delete`: a stopped container; any other only with --force (which kills it first).
 * runtime.md "delete": deleting a container that is not stopped MUST fail and have no effect.
 * runc kills a `created` one instead; the spec is the contract here, so only --force does that.
 */
export function canDelete(status: Status, force: boolean, id: string): StateError | undefined {
  if (status === 'stopped' || force) return undefined;
  return new StateError(`cannot delete container ${id} that is not stopped: ${status}`);
}

/** `kill`: a created, running or paused container; a stopped one is runc's "container not running". */
export function canKill(status: Status): StateError | undefined {
  return status === 'created' || status === 'running' || status === 'paused' ? undefined : notRunning();
}

/** `update`: the same statuses as kill (runc update.go: ErrNotRunning for a stopped container). */
export function canUpdate(status: Status): StateError | undefined {
  return canKill(status);
}

/** `events`: anything but stopped (runc events.go checks once, before it prints anything). */
export function canWatchEvents(status: Status, id: string): StateError | undefined {
  return status === 'stopped' ? new StateError(`container with id ${id} is not running`) : undefined;
}
