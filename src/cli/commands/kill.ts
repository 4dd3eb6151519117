// `tsrun kill [--all] ID [SIGNAL]` (SIGNAL: TERM, SIGTERM or 15; default SIGTERM)
import { killContainer } from '../../container/kill';
import { parseSignal } from '../../sys/signals';
import { UsageError } from '../../errors';
import { help, parseFlags } from '../args';
import type { GlobalOptions } from '../../container/context';

const usage = `Usage: tsrun kill [--all] <container-id> [signal]

Send a signal (name with or without SIG, or number; default SIGTERM) to the container's process.

Options:
  -a, --all   send it to every process in the container's cgroup
`;

export async function killCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('kill', argv, { boolean: ['all'], alias: { a: 'all' } });
  if (a.help) return help(usage);
  const pos = a._.map(String);
  if (pos.length < 1 || pos.length > 2) throw new UsageError('"tsrun kill" requires a minimum of 1 and a maximum of 2 argument(s)');
  const sig = parseSignal(pos[1] ?? 'SIGTERM');
  killContainer(g, pos[0], sig, Boolean(a.all));
  return 0;
}
