// `tsrun create [--bundle DIR] [--console-socket PATH] [--pid-file FILE] [--no-pivot] [--preserve-fds N] ID`
import { createContainer } from '../../container/create';
import { help, int, oneId, parseFlags, str } from '../args';
import type { GlobalOptions } from '../../container/context';
import { reached } from '../../step-hook';
import * as libc from '../../sys/libc';
import { SIGNALS } from '../../sys/signals';

const createUsage = `Usage: tsrun create [options] <container-id>

Create a container from the bundle; its process waits until \`tsrun start\`.

Options:
  -b, --bundle DIR        path to the bundle (default: current directory)
      --pid-file FILE     write the container process's host pid to FILE
      --no-pivot          do not use pivot_root (MS_MOVE + chroot instead)
      --preserve-fds N    pass N more file descriptors (3 .. 3+N-1) to the container
      --no-new-keyring    keep the caller's session keyring (default: a new one per container)
      --console-socket S  unix socket that receives the pty master (SCM_RIGHTS) when
                          process.terminal is true; required then, refused otherwise (as runc)
`;

export async function createCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('create', argv, {
    string: ['bundle', 'pid-file', 'preserve-fds', 'console-socket'],
    boolean: ['no-pivot', 'no-new-keyring'],
    alias: { b: 'bundle' },
  });
  if (a.help) return help(createUsage);
  const id = oneId('create', a);
  // SIGINT/SIGTERM guard for the whole command. While createContainer runs, its own handler tears
  // down what it made and exits 1; before it has one, this ends tsrun with 1 (nothing made yet;
  // an early init stage is killed by its own listener first). Once the container is created, the
  // signal is ignored until tsrun exits 0 a moment later: the signal's default action there would
  // leave a created container behind a caller that sees a failed create. Registered before the
  // create handler and kept past its removal, so the default action is never back in between.
  let done = false;
  const guard = (sig: NodeJS.Signals): void => {
    if (!done && process.listenerCount(sig) === 1) process.exit(1);
  };
  process.on('SIGINT', guard);
  process.on('SIGTERM', guard);
  const created = await createContainer(g, {
    id,
    bundle: str(a, 'bundle') ?? '.',
    pidFile: str(a, 'pid-file'),
    noPivot: Boolean(a['no-pivot']),
    noNewKeyring: Boolean(a['no-new-keyring']),
    preserveFds: int(a, 'preserve-fds', 0),
    consoleSocket: str(a, 'console-socket'),
  }).catch((e: unknown) => {
    process.removeListener('SIGINT', guard);
    process.removeListener('SIGTERM', guard);
    throw e;
  });
  done = true;
  // Ignored from here by the kernel, not only by the guard: Node's teardown stops its signal
  // watchers and libuv then puts SIG_DFL back, so a SIGTERM in tsrun's last milliseconds would
  // still kill it, with the container created (found by early-init.test.ts once create got
  // faster). The listeners go first: removing the last one is what resets the disposition.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(sig);
    libc.signalIgnore(SIGNALS[sig]);
  }
  reached('go');
  created.handle.send({ type: 'go' });
  created.handle.release();
  return 0;
}
