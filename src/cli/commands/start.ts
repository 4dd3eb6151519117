// `tsrun start ID`
import { startContainer } from '../../container/start';
import { help, oneId, parseFlags } from '../args';
import type { GlobalOptions } from '../../container/context';

export async function startCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('start', argv, {});
  if (a.help) return help('Usage: tsrun start <container-id>\n\nRun the process of a created container.\n');
  startContainer(g, oneId('start', a));
  return 0;
}
