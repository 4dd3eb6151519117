// `events`: the container's resource statistics and OOM kills as runc's JSON event lines
// (runc events.go, types/events.go): {"type":"stats","id":ID,"data":Stats} and
// {"type":"oom","id":ID}. With --stats one stats event is printed; otherwise one every interval
// until the container stops, plus an oom event whenever the cgroup's OOM-kill count grows.
//
// runc learns about OOM kills from the kernel (an eventfd on v1 memory.oom_control, inotify on
// v2 memory.events) and stops when that notifier closes: on v2 when the cgroup has no process
// left, on v1 only when the cgroup is removed. tsrun polls the same counters and stops when the
// container is stopped or gone, i.e. runc's v2 behaviour on every layout (a v1 cgroup outlives
// its processes until `delete`, and a stream that never ends for a dead container helps no one).
import { cgroupManagerFor, type CgroupManager } from '../cgroups/manager';
import { CgroupError } from '../cgroups/errors';
import type { Stats } from '../cgroups/stats';
import { UsageError } from '../errors';
import { log } from '../log';
import { readRecord, tryReadRecord, type ContainerRecord } from '../state/store';
import { statusOf } from './state';
import { canWatchEvents } from '../state/status';
import type { GlobalOptions } from './context';

/** One output line; field order and omitempty of `data` as runc's types.Event. */
export interface ContainerEvent {
  type: 'stats' | 'oom';
  id: string;
  data?: Stats;
}

/** Milliseconds per unit of Go's time.ParseDuration (src/time/format.go unitMap). */
const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek small letter mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration ("5s", "500ms", "1m30s", "1.5h", "-2s", "0") into milliseconds, with the
 * grammar of Go's time.ParseDuration, since runc's --interval is a Go DurationFlag and scripts
 * written for runc pass such strings. Errors read like Go's.
 */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  // Go: "0" is the one unitless value allowed (and so is "-0"/"+0").
  if (rest === '0') return 0;
  if (rest === '') throw new UsageError(`time: invalid duration "${text}"`);
  let total = 0;
  while (rest !== '') {
    const num = /^(\d+(?:\.\d*)?|\.\d+)/.exec(rest);
    if (!num) throw new UsageError(`time: invalid duration "${text}"`);
    rest = rest.slice(num[0].length);
    // The unit runs up to the next digit or '.', as in Go.
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') throw new UsageError(`time: missing unit in duration "${text}"`);
    const ms = DURATION_UNITS[unit];
    if (ms === undefined) throw new UsageError(`time: unknown unit "${unit}" in duration "${text}"`);
    total += Number(num[0]) * ms;
    rest = rest.slice(unit.length);
  }
  // Go's limit: an int64 of nanoseconds (about 292 years).
  if (!Number.isFinite(total) || total * 1e6 > 9.223372036854775e18) throw new UsageError(`time: invalid duration "${text}"`);
  return sign * total;
}

function liveRecord(g: GlobalOptions, id: string): { rec: ContainerRecord; cg: CgroupManager } {
  const rec = readRecord(g.root, id);
  // runc events.go: checked once, before anything is printed.
  const refused = canWatchEvents(statusOf(g, rec), id);
  if (refused) throw refused;
  if (!rec.cgroup) throw new CgroupError(`container ${id} has no cgroup recorded; it has no statistics`, { code: 'cgroup-state' });
  return { rec, cg: cgroupManagerFor({ id: rec.id, created: rec.cgroup }) };
}

/** The single event of `events --stats`. */
export function statsEvent(g: GlobalOptions, id: string): ContainerEvent {
  const { cg } = liveRecord(g, id);
  return { type: 'stats', id, data: cg.stats() };
}

/** The OOM-kill counter, or undefined when it cannot be read (no memory controller, cgroup gone). */
function oomCount(cg: CgroupManager): number | undefined {
  try {
    return cg.oomKillCount();
  } catch {
    return undefined;
  }
}

export interface WatchOptions {
  /** Time between stats events, in ms (> 0). */
  intervalMs: number;
  /** How often the OOM counter and the container's liveness are checked, in ms. */
  pollMs?: number;
  /** Writes one event; returns false when the reader is gone (then watching stops). */
  emit: (e: ContainerEvent) => boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Streams events until the container is stopped or deleted (or the reader goes away). Like
 * runc's time.Tick, the first stats event comes one interval after the start; a stats read that
 * fails is logged and skipped, as runc does.
 */
export async function watchEvents(g: GlobalOptions, id: string, o: WatchOptions): Promise<void> {
  if (!(o.intervalMs > 0)) throw new UsageError('duration interval must be greater than 0');
  const { rec, cg } = liveRecord(g, id);
  const poll = Math.max(1, Math.min(o.pollMs ?? 200, o.intervalMs));
  let oomSeen = oomCount(cg) ?? 0;
  let nextStats = Date.now() + o.intervalMs;
  for (;;) {
    await sleep(Math.max(1, Math.min(poll, nextStats - Date.now())));
    // OOM before the liveness check: the kill that ended the container is still reported.
    const oom = oomCount(cg);
    if (oom !== undefined && oom > oomSeen) {
      oomSeen = oom;
      if (!o.emit({ type: 'oom', id })) return;
    }
    const now = tryReadRecord(g.root, id);
    // Gone, or replaced by a new container with the same id (another create since we started).
    if (!now || now.created !== rec.created || now.pid !== rec.pid || statusOf(g, now) === 'stopped') return;
    if (Date.now() >= nextStats) {
      nextStats += o.intervalMs;
      // After a long stall (a suspended host) no burst of catch-up events: next tick from now.
      if (nextStats <= Date.now()) nextStats = Date.now() + o.intervalMs;
      let data: Stats | undefined;
      try {
        data = cg.stats();
      } catch (e) {
        log.error(`events: stats of ${id}: ${(e as Error).message}`);
      }
      if (data && !o.emit({ type: 'stats', id, data })) return;
    }
  }
}
