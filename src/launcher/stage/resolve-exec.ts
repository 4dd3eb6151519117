// args[0] resolved the way execvp(3) does, inside the container (after pivot_root, as the
// container user), so a wrong path fails `create` instead of leaving a dead container at `start`.
// Every candidate is looked up below the container's root fd with RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS (in-root.ts): a path through /proc/self/fd/N cannot name a host file
// held by an inherited fd (CVE-2024-21626), and the path execve then gets is one we checked.
import path = require('node:path');
import type { Sys } from '../../sys/sys';
import { RuntimeError, SyscallError } from '../../errors';
import { openInRoot } from '../../linux/in-root';
import { S_IFMT, S_IFREG } from '../../sys/constants';

const X_OK = 1;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Check = 'ok' | 'missing' | 'denied' | 'magic';

function check(sys: Sys, root: number, abs: string): Check {
  let fd: number;
  try {
    fd = openInRoot(sys, root, abs, 0, abs);
  } catch (e) {
    // openat2(2): RESOLVE_NO_MAGICLINKS makes a magic link fail with ELOOP (as does a symlink loop).
    if (e instanceof SyscallError && (e.errnoCode === 'ELOOP' || e.errnoCode === 'EXDEV')) return 'magic';
    if (e instanceof SyscallError && e.errnoCode === 'EACCES') return 'denied';
    return 'missing';
  }
  try {
    // fstat and faccessat2(AT_EMPTY_PATH) check the file the fd holds, as the current (container)
    // user, without a /proc path: the exec stage runs outside the container's PID namespace, where
    // the container's /proc has no "self".
    return (sys.fstat(fd).mode & S_IFMT) === S_IFREG && sys.accessFd(fd, X_OK) ? 'ok' : 'denied';
  } catch {
    return 'missing';
  } finally {
    sys.close(fd);
  }
}

export function resolveExecutable(sys: Sys, root: number, cwd: string, arg0: string, env: string[]): string {
  if (arg0.includes('/')) {
    const abs = path.posix.resolve(cwd, arg0);
    const r = check(sys, root, abs);
    if (r === 'ok') return abs;
    if (r === 'magic') throw new RuntimeError('exec', `exec: "${arg0}": refusing a path through a /proc magic link (or a symlink loop)`);
    if (r === 'missing') throw new RuntimeError('exec', `exec: "${arg0}": stat ${arg0}: no such file or directory`);
    throw new RuntimeError('exec', `exec: "${arg0}": permission denied`);
  }
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(':')) {
    const candidate = path.posix.resolve(cwd, dir || '.', arg0);
    if (check(sys, root, candidate) === 'ok') return candidate;
  }
  // runc's wording, which clients show to users.
  throw new RuntimeError('exec', `exec: "${arg0}": executable file not found in $PATH`);
}
