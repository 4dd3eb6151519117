// `tsrun list [--format table|json] [-q]`, the columns and JSON shape of `runc list`.
import { listContainers, type StateView } from '../../container/state';
import { UsageError } from '../../errors';
import { help, parseFlags, str } from '../args';
import type { GlobalOptions } from '../../container/context';
import { writeOut } from '../output';

const usage = `Usage: tsrun list [options]

List containers.

Options:
  -f, --format table|json   output format (default table)
  -q, --quiet               print only the ids
`;

/** A tab-aligned table like Go's text/tabwriter with padding 3 (what runc uses). */
export function formatTable(rows: StateView[]): string {
  const header = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];
  const lines = [header, ...rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner])];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i] + 3))).join('')).join('\n') + '\n';
}

export async function listCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('list', argv, { string: ['format'], boolean: ['quiet'], alias: { f: 'format', q: 'quiet' } });
  if (a.help) return help(usage);
  if (a._.length) throw new UsageError(`"tsrun list" takes no arguments (got ${String(a._[0])})`);
  const format = str(a, 'format') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`invalid format option: ${format}`);
  const rows = listContainers(g);
  if (a.quiet) {
    writeOut(rows.map((r) => r.id + '\n').join(''));
  } else if (format === 'json') {
    writeOut(JSON.stringify(rows) + '\n');
  } else {
    writeOut(formatTable(rows));
  }
  return 0;
}
