// `tsrun run [--detach] [--bundle DIR] [--pid-file FILE] [--no-pivot] [--preserve-fds N] ID`
import { runContainer } from '../../container/run';
import { help, int, oneId, parseFlags, str } from '../args';
import type { GlobalOptions } from '../../container/context';
import { UnsupportedError } from '../../errors';

const usage = `Usage: tsrun run [options] <container-id>

Create and start a container. In the foreground, signals are forwarded to it, its exit status
becomes tsrun's (128+n if killed by signal n) and the container is deleted when it exits.

Options:
  -b, --bundle DIR        path to the bundle (default: current directory)
  -d, --detach            return once the container runs
      --pid-file FILE     write the container process's host pid to FILE
      --no-pivot          do not use pivot_root (MS_MOVE + chroot instead)
      --preserve-fds N    pass N more file descriptors (3 .. 3+N-1) to the container
      --keep              do not delete the container when it exits (foreground)
      --no-new-keyring    keep the caller's session keyring (default: a new one per container)
`;

export async function runCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('run', argv, {
    string: ['bundle', 'pid-file', 'preserve-fds', 'console-socket'],
    boolean: ['detach', 'no-pivot', 'no-new-keyring', 'keep'],
    alias: { b: 'bundle', d: 'detach' },
  });
  if (a.help) return help(usage);
  const id = oneId('run', a);
  if (str(a, 'console-socket') !== undefined) {
    // Terminals arrive with the exec-and-terminals issue; until then, refuse rather than ignore.
    throw new UnsupportedError('--console-socket', 'terminals are not supported by tsrun yet');
  }
  return runContainer(g, {
    id,
    bundle: str(a, 'bundle') ?? '.',
    pidFile: str(a, 'pid-file'),
    noPivot: Boolean(a['no-pivot']),
    noNewKeyring: Boolean(a['no-new-keyring']),
    preserveFds: int(a, 'preserve-fds', 0),
    detach: Boolean(a.detach),
    keep: Boolean(a.keep),
  });
}
