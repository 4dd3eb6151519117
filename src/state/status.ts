// Container status derived from facts on every read (runc does the same in container_linux.go
// refreshState): is the recorded pid alive and still the process we started (same start time),
// does the exec fifo still exist (created: init waits on it), is the cgroup frozen (paused).
import fs = require('node:fs');
import path = require('node:path');
import type { ContainerRecord } from './store';
import { FIFO_NAME } from './store';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

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
