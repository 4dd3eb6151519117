// What the reliability tests report about the process that drives the lifecycles (this test
// process): its open fds, threads and resident memory, from /proc/self (proc(5)).
import fs from 'node:fs';

export interface ProcessStats {
  fds: number;
  threads: number;
  rssKiB: number;
}

function statusField(name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1] ?? NaN);
}

export function processStats(): ProcessStats {
  return { fds: fs.readdirSync('/proc/self/fd').length, threads: statusField('Threads'), rssKiB: statusField('VmRSS') };
}

export const mib = (kib: number): string => (kib / 1024).toFixed(1);
