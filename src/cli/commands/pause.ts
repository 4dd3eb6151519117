// `tsrun pause ID`: freeze every process of the container (runc's pause; not in the runtime-spec).
import { pauseContainer } from '../../container/pause';
import { help, oneId, parseFlags } from '../args';
import type { GlobalOptions } from '../../container/context';

const usage = `Usage: tsrun pause <container-id>

Suspend every process of a created or running container (cgroup freezer).
\`tsrun state\` then reports "paused"; \`tsrun resume\` continues the processes.
`;

export async function pauseCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('pause', argv, {});
  if (a.help) return help(usage);
  pauseContainer(g, oneId('pause', a));
  return 0;
}
