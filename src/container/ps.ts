// `ps`: the container's processes as host pids (runc ps.go). JSON mode is just the list; table
// mode runs the host's ps(1) and keeps its header plus the lines whose PID column is one of the
// container's pids, so every ps option works unchanged (`tsrun ps ID -- -o pid,stat,args`).
import { spawnSync } from 'node:child_process';
import { RuntimeError } from '../errors';
import { readRecord } from '../state/store';
import { containerPids, managerOf } from './cleanup';
import type { GlobalOptions } from './context';

/**
 * Host pids of every process in the container's cgroup, plus init, ascending. A stopped
 * container gives [] (runc ignores the missing cgroup of a stopped container the same way).
 */
export function containerProcesses(g: GlobalOptions, id: string): number[] {
  const rec = readRecord(g.root, id);
  return containerPids(rec, managerOf(rec)).sort((a, b) => a - b);
}

/** Index of the PID column in a ps(1) header line ("UID PID PPID ..." -> 1). */
export function pidColumn(header: string): number {
  const i = header.trim().split(/\s+/).indexOf('PID');
  if (i < 0) throw new RuntimeError('ps', "couldn't find PID field in ps output (ps options must print a PID column)");
  return i;
}

/**
 * ps(1) output narrowed to `pids`: the header, then each line whose PID field is in the set.
 * Fields are whitespace-separated; columns before PID (UID, USER, F, S) never hold spaces in
 * procps output, which is what makes runc's split-on-whitespace approach sound.
 */
export function filterPsOutput(output: string, pids: readonly number[]): string {
  const lines = output.split('\n');
  const header = lines[0] ?? '';
  const col = pidColumn(header);
  const want = new Set(pids);
  const kept = [header];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const field = line.trim().split(/\s+/)[col];
    if (field === undefined || !/^\d+$/.test(field)) throw new RuntimeError('ps', `unable to parse pid: ${JSON.stringify(field ?? line)}`);
    if (want.has(Number(field))) kept.push(line);
  }
  return kept.join('\n') + '\n';
}

/** Runs the host's ps with `psArgs` (default -ef, as runc) and filters it to `pids`. */
export function psTable(pids: readonly number[], psArgs: readonly string[]): string {
  const args = psArgs.length > 0 ? [...psArgs] : ['-ef'];
  const r = spawnSync('ps', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new RuntimeError('ps', `run ps: ${r.error.message}`);
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    throw new RuntimeError('ps', `ps ${args.join(' ')} exited with status ${String(r.status ?? r.signal)}${why ? `: ${why}` : ''}`);
  }
  return filterPsOutput(r.stdout, pids);
}
