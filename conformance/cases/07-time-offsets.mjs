// runtime-spec config-linux.md "Offset for Time Namespace" (linux.timeOffsets) [v1.1.0].
import fs from 'node:fs';
import { eq, ok } from '../lib/assert.mjs';
import { setNamespace } from '../lib/config.mjs';
import { noTimeNamespaces } from '../lib/host.mjs';

export const section = '7. timeOffsets';

export default [
  {
    name: 'time_offsets_applied',
    skip: noTimeNamespaces,
    rule: 'config-linux.md timeOffsets: "sets the offset for Time Namespace" per clock (monotonic, boottime): secs and nanosecs',
    script: 'cat /proc/self/timens_offsets; cut -d" " -f1 /proc/uptime',
    patch: (c) => {
      setNamespace(c, 'time');
      c.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 172800, nanosecs: 500 } };
    },
    expect: (r) => {
      const lines = r.stdout.trim().split('\n');
      eq(lines.slice(0, 2).map((l) => l.trim().split(/\s+/)), [['monotonic', '86400', '0'], ['boottime', '172800', '500']], 'timens_offsets');
      const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const inside = Number(lines[2]);
      ok(inside >= hostUptime + 172800 - 60 && inside <= hostUptime + 172800 + 60, `uptime inside ${inside}, host ${hostUptime}: no 172800 s boottime offset`);
    },
  },
  {
    name: 'time_namespace_no_offsets',
    skip: noTimeNamespaces,
    rule: 'config-linux.md timeOffsets is OPTIONAL: a new time namespace without it has zero offsets',
    script: 'cat /proc/self/timens_offsets',
    patch: (c) => setNamespace(c, 'time'),
    expect: (r) => eq(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)), [['monotonic', '0', '0'], ['boottime', '0', '0']], 'timens_offsets'),
  },
  {
    name: 'time_offsets_need_time_namespace_fail',
    rule: 'config-linux.md timeOffsets: offsets are for the container\'s new time namespace; without one they cannot be applied (error, no container)',
    patch: (c) => {
      c.linux.timeOffsets = { monotonic: { secs: 10, nanosecs: 0 } };
    },
    fail: '/linux/timeOffsets',
  },
  {
    name: 'time_offsets_unknown_clock_fail',
    rule: 'config-linux.md timeOffsets: keys are clock names (monotonic, boottime; time_namespaces(7)); another clock cannot be offset',
    patch: (c) => {
      setNamespace(c, 'time');
      c.linux.timeOffsets = { realtime: { secs: 10, nanosecs: 0 } };
    },
    fail: '/linux/timeOffsets/realtime',
  },
];
