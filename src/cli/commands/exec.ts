// `tsrun exec [options] <container-id> [command [args...]]`, with runc's flags. A failure to
// start the process exits 255 with "exec failed: ..." as runc does (exec.go), so callers can tell
// it from the process's own exit status.
import { execProcess } from '../../container/exec';
import { help, int, parseFlags, str, type Parsed } from '../args';
import { reportError } from '../report';
import { checkId } from '../../state/store';
import { RuntimeError, UsageError } from '../../errors';
import type { GlobalOptions } from '../../container/context';

const usage = `Usage: tsrun exec [options] <container-id> <command> [args...]

Run one more process in a running (or created) container. Its exit status becomes tsrun's
(128+n if killed by signal n); signals sent to tsrun are forwarded to it.

Options:
  -p, --process FILE         a process.json (runtime-spec "process") instead of a command line
      --cwd DIR              working directory in the container
  -e, --env NAME=VALUE       add an environment variable (repeatable)
  -u, --user UID[:GID]       run as this numeric user (and group)
  -g, --additional-gids GID  add a supplementary group (repeatable)
  -c, --cap CAP              add a capability (repeatable)
      --no-new-privs         set no_new_privs
  -t, --tty                  allocate a pseudo-terminal
      --console-socket PATH  send the pty master to this unix socket (with --detach)
  -d, --detach               return once the process runs
      --pid-file FILE        write the process's host pid to FILE
      --preserve-fds N       pass N more file descriptors (3 .. 3+N-1) to the process
      --apparmor PROFILE     AppArmor profile for the process
      --process-label LABEL  SELinux label for the process
      --ignore-paused        allow exec in a paused container
`;

function list(a: Parsed, name: string): string[] {
  const v = a[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export async function execCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const a = parseFlags('exec', argv, {
    string: ['process', 'cwd', 'env', 'user', 'additional-gids', 'cap', 'console-socket', 'pid-file', 'preserve-fds', 'apparmor', 'process-label'],
    boolean: ['tty', 'detach', 'no-new-privs', 'ignore-paused'],
    alias: { p: 'process', e: 'env', u: 'user', g: 'additional-gids', c: 'cap', t: 'tty', d: 'detach' },
    stopEarly: true,
  });
  if (a.help) return help(usage);
  const pos = a._.map(String);
  if (pos.length < 1) throw new UsageError('"tsrun exec" requires a minimum of 1 argument(s)');
  const id = checkId(pos[0]);
  try {
    return await execProcess(g, {
      id,
      processFile: str(a, 'process'),
      args: pos.slice(1),
      cwd: str(a, 'cwd'),
      env: list(a, 'env'),
      user: str(a, 'user'),
      additionalGids: list(a, 'additional-gids'),
      caps: list(a, 'cap'),
      noNewPrivs: Boolean(a['no-new-privs']),
      tty: Boolean(a.tty),
      consoleSocket: str(a, 'console-socket'),
      detach: Boolean(a.detach),
      pidFile: str(a, 'pid-file'),
      preserveFds: int(a, 'preserve-fds', 0),
      apparmor: str(a, 'apparmor'),
      processLabel: str(a, 'process-label'),
      ignorePaused: Boolean(a['ignore-paused']),
    });
  } catch (e) {
    // Everything after the flags fails as runc's exec does: "exec failed: ..." and status 255.
    const msg = e instanceof Error ? e.message : String(e);
    reportError(new RuntimeError(e instanceof RuntimeError ? e.code : 'exec', `exec failed: ${msg}`), 'exec');
    return 255;
  }
}
