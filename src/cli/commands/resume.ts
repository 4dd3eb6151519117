// `tsrun resume ID`: thaw a paused container (runc's resume; not in the runtime-spec).
import { resumeContainer } from '../../container/pause';
import { help, oneId, parseFlags } from '../args';
import type { GlobalOptions } from '../../container/context';

const usage = `Usage: tsrun resume <container-id>

Resume every process of a container suspended by \`tsrun pause\`.
`;

export async function resumeCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('resume', argv, {});
  if (a.help) return help(usage);
  resumeContainer(g, oneId('resume', a));
  return 0;
}
