// `tsrun run [--detach] [--bundle DIR] [--console-socket PATH] [--pid-file FILE] [--no-pivot] [--preserve-fds N] ID`
import { runContainer } from '../../container/run';
import { help, int, oneId, parseFlags, str } from '../args';
import type { GlobalOptions } from '../../container/context';

const usage = `Usage: tsrun run [options] <container-id>

Create and start a container. In the foreground, signals are forwarded to it, its exit status
becomes tsrun's (128+n if killed by signal n) and the container is deleted when it exits.
With process.terminal in the foreground, tsrun relays between the container's pty and its own
stdin/stdout (stdin in raw mode when it is a terminal; window size changes are passed on).

Options:
  -b, --bundle DIR        path to the bundle (default: current directory)
  -d, --detach            return once the container runs
      --console-socket S  with --detach and process.terminal: unix socket that receives the pty
                          master (SCM_RIGHTS)
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
  return runContainer(g, {
    id,
    bundle: str(a, 'bundle') ?? '.',
    pidFile: str(a, 'pid-file'),
    noPivot: Boolean(a['no-pivot']),
    noNewKeyring: Boolean(a['no-new-keyring']),
    preserveFds: int(a, 'preserve-fds', 0),
    detach: Boolean(a.detach),
    consoleSocket: str(a, 'console-socket'),
    keep: Boolean(a.keep),
  });
}
