// A user namespace with given id maps and no process in it, as an fd: what mount_setattr(2)
// MOUNT_ATTR_IDMAP takes to id-map a mount (src/launcher/parent/idmap-trees.ts).
//
// Why a helper namespace, made through the trampoline:
// - Node cannot make one: unshare(CLONE_NEWUSER) needs a single-threaded caller (unshare(2):
//   EINVAL), so dist/tsrun-nsexec makes it (`-U -x`, nsexec.c), we write its maps as for a
//   container (id-maps.ts), open /proc/<pid>/ns/user before we answer "M", and it exits. The
//   namespace lives as long as our fd.
// - Not the container's own user namespace, even for an `idmap` mount without mappings of its own
//   (config.md "Mounts": the runtime MAY use the container's mapping): that namespace does not
//   exist until the trampoline that starts the init stage has run, and by then the stage's fds are
//   fixed (its stdio is given at spawn) while the detached trees must be made here, on the host
//   (mount_setattr(2): CAP_SYS_ADMIN in the user namespace the filesystem was mounted in, the
//   initial one for host filesystems, which the stage no longer holds). An id-mapped mount maps ids
//   through its namespace's uid_map/gid_map only, so a namespace with the container's maps gives
//   the same mount. runc 1.2 also makes a namespace per distinct mapping for its mounts.
// Cost: one spawn of the static trampoline and one round trip per distinct mapping, for configs
// with id-mapped mounts only (docs/ARCHITECTURE.md section 1 has the figures).
import type { ChildProcess } from 'node:child_process';
import type * as ChildProcessModule from 'node:child_process';
import type { Socket } from 'node:net';
import * as libc from '../../sys/libc';
import { O } from '../../sys/constants';
import { RuntimeError, errnoName } from '../../errors';
import { writeIdMaps, type IdMapping } from '../../linux/id-maps';
import { lineReader, trampolinePath } from './trampoline';

/** Waits for the trampoline to be reaped (it exits right after "M"); SIGKILL after 5 s of a hang. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** An fd (ours, close-on-exec) of a new user namespace with these maps; the caller closes it. */
export async function mappedUserNamespace(uid: IdMapping[], gid: IdMapping[]): Promise<number> {
  const bin = trampolinePath();
  // Loaded here, only for configs with id-mapped mounts: the verbs spawn their stages without
  // node:child_process (src/launcher/parent/spawn-stage.ts), as trampoline.ts does.
  const { spawn } = require('node:child_process') as typeof ChildProcessModule;
  const child = spawn(bin, ['3', '-U', '-x'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: {} });
  const ctl = child.stdio[3] as Socket | null;
  if (!ctl || child.pid === undefined) {
    child.kill('SIGKILL');
    throw new RuntimeError('namespace', `cannot start ${bin} for an id-mapped mount's user namespace`);
  }
  const pid = child.pid;
  let fd = -1;
  try {
    const next = lineReader(ctl);
    for (let line = await next(); line !== undefined; line = await next()) {
      if (line === 'U' && fd < 0) {
        writeIdMaps(pid, uid, gid);
        // Opened before "M": the trampoline exits right after it, and /proc/<pid> with it.
        fd = libc.open(`/proc/${pid}/ns/user`, O.RDONLY | O.CLOEXEC);
        ctl.write('M\n');
      } else if (line.startsWith('E ')) {
        const [, call, errno, ...what] = line.split(' ');
        throw new RuntimeError('namespace', `user namespace for an id-mapped mount: ${call}(${what.join(' ')}): ${errnoName(Number(errno))}`);
      } else {
        throw new RuntimeError('namespace', `unexpected line from the namespace trampoline: ${line}`);
      }
    }
    if (fd < 0) throw new RuntimeError('namespace', 'the namespace trampoline exited before making the user namespace of an id-mapped mount');
    return fd;
  } catch (e) {
    if (fd >= 0) libc.close(fd);
    child.kill('SIGKILL');
    throw e;
  } finally {
    ctl.destroy();
    await exited(child);
  }
}
