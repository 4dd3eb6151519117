// `tsrun events [--stats] [--interval 5s] ID` (runc events.go): JSON event lines on stdout.
import { writeOut } from '../output';
import { parseGoDuration, statsEvent, watchEvents, type ContainerEvent } from '../../container/events';
import { UsageError } from '../../errors';
import { help, oneId, parseFlags, str } from '../args';
import type { GlobalOptions } from '../../container/context';

const usage = `Usage: tsrun events [options] <container-id>

Print the container's events as JSON lines: {"type":"stats","id":...,"data":{...}} every
interval, and {"type":"oom","id":...} when the OOM killer ran in the container's cgroup.
Ends when the container stops.

Options:
  --stats            print the statistics once and exit
  --interval DUR     time between stats events, Go duration syntax (default 5s; 500ms, 1m30s)
`;

/**
 * One line to stdout, synchronously so lines never interleave or sit in a buffer while we sleep.
 * Returns false once the reader has gone (EPIPE): events then ends quietly, like a pipe to head(1).
 */
function writeLine(e: ContainerEvent): boolean {
  return writeOut(JSON.stringify(e) + '\n');
}

export async function eventsCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('events', argv, { string: ['interval'], boolean: ['stats'] });
  if (a.help) return help(usage);
  const id = oneId('events', a);
  const raw = str(a, 'interval') ?? '5s';
  let intervalMs: number;
  try {
    intervalMs = parseGoDuration(raw);
  } catch (e) {
    throw new UsageError(`invalid value "${raw}" for flag --interval: ${(e as Error).message}`);
  }
  // runc checks the interval even with --stats.
  if (!(intervalMs > 0)) throw new UsageError('duration interval must be greater than 0');
  if (a.stats) {
    writeLine(statsEvent(g, id));
    return 0;
  }
  await watchEvents(g, id, { intervalMs, emit: writeLine });
  return 0;
}
