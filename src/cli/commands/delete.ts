// `tsrun delete [--force] ID`
import { deleteContainer } from '../../container/delete';
import { help, oneId, parseFlags } from '../args';
import type { GlobalOptions } from '../../container/context';

const usage = `Usage: tsrun delete [--force] <container-id>

Delete a stopped (or created) container and everything tsrun made for it.

Options:
  -f, --force   kill a running container first; a missing container is not an error
`;

export async function deleteCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('delete', argv, { boolean: ['force'], alias: { f: 'force' } });
  if (a.help) return help(usage);
  deleteContainer(g, oneId('delete', a), Boolean(a.force));
  return 0;
}
