// args[0] resolved the way execvp(3) does, inside the container (after pivot_root, as the
// container user), so a wrong path fails `create` instead of leaving a dead container at `start`.
import fs from 'node:fs';
import * as libc from '../sys/libc';
import { RuntimeError } from '../errors';

const X_OK = 1;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function isExecutableFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile() && libc.access(p, X_OK);
  } catch {
    return false;
  }
}

export function resolveExecutable(arg0: string, env: string[]): string {
  if (arg0.includes('/')) {
    if (!fs.existsSync(arg0)) throw new RuntimeError('exec', `exec: "${arg0}": stat ${arg0}: no such file or directory`);
    if (!isExecutableFile(arg0)) throw new RuntimeError('exec', `exec: "${arg0}": permission denied`);
    return arg0;
  }
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(':')) {
    const candidate = `${dir || '.'}/${arg0}`;
    if (isExecutableFile(candidate)) return candidate;
  }
  // runc's wording, which clients show to users.
  throw new RuntimeError('exec', `exec: "${arg0}": executable file not found in $PATH`);
}
