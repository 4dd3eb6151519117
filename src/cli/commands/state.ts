// `tsrun state ID`: the state JSON, indented like runc's.
import { containerState } from '../../container/state';
import { help, oneId, parseFlags } from '../args';
import type { GlobalOptions } from '../../container/context';
import { writeOut } from '../output';

export async function stateCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('state', argv, {});
  if (a.help) return help('Usage: tsrun state <container-id>\n\nPrint the state of a container as JSON.\n');
  writeOut(JSON.stringify(containerState(g, oneId('state', a)), null, 2) + '\n');
  return 0;
}
