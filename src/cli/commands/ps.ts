// `tsrun ps [--format table|json] ID [ps options]` (runc ps.go): flags end at the container id,
// so `tsrun ps ID -ef` and `tsrun ps ID -- -o pid,args` both hand the rest to ps(1).
import { containerProcesses, psTable } from '../../container/ps';
import { UsageError } from '../../errors';
import { help, parseFlags, str } from '../args';
import type { GlobalOptions } from '../../container/context';
import { writeOut } from '../output';

const usage = `Usage: tsrun ps [options] <container-id> [-- ps options]

Show the processes of a container (host pids).

Options:
  -f, --format table|json   table runs ps(1) (default options -ef) and keeps the container's
                            lines; json prints the pids as a JSON array
`;

/**
 * Splits argv at the container id: [tsrun's own flags, id, ps's arguments]. Only --format/-f
 * takes a value; a leading "--" after the id is dropped (it only separates the two argument sets).
 */
export function splitPsArgv(argv: readonly string[]): { own: string[]; id?: string; psArgs: string[] } {
  const own: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      const id = argv[i + 1];
      return { own, id, psArgs: dropSeparator(argv.slice(i + 2)) };
    }
    if (a.startsWith('-') && a !== '-') {
      own.push(a);
      if ((a === '--format' || a === '-f') && i + 1 < argv.length) own.push(argv[++i]);
      continue;
    }
    return { own, id: a, psArgs: dropSeparator(argv.slice(i + 1)) };
  }
  return { own, psArgs: [] };
}

function dropSeparator(rest: string[]): string[] {
  return rest[0] === '--' ? rest.slice(1) : rest;
}

export async function psCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const { own, id, psArgs } = splitPsArgv(argv);
  const a = parseFlags('ps', own, { string: ['format'], alias: { f: 'format' } });
  if (a.help) return help(usage);
  if (id === undefined) throw new UsageError('"tsrun ps" requires a minimum of 1 argument(s)');
  const format = str(a, 'format') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`invalid format option: ${format}`);
  const pids = containerProcesses(g, id);
  // runc prints the JSON array compactly: [1234,1235]
  writeOut(format === 'json' ? `${JSON.stringify(pids)}\n` : psTable(pids, psArgs));
  return 0;
}
