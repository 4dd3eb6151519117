// The spawn of the exec stage when no trampoline is needed: the one place that does it, for
// runExecStage (exec-stage.ts) and for the dispatcher's early spawn (early-stage.ts).
import type { ChildProcess } from 'node:child_process';
import * as libc from '../../sys/libc';
import { libcSys } from '../../sys/libc-sys';
import { CLOSE_RANGE_CLOEXEC } from '../../sys/constants';
import { withNamespaces } from './ns-window';
import { protectRuntimeBinary } from '../protect-binary';
import { spawnStage, type StageStdio } from './spawn-stage';
import { stageTraceEnv } from '../../trace';
import { stageHookEnv } from '../../step-hook';

/**
 * Spawns `node <entry> <channel fd>` with our stdio (or `stdio0to2`) as its 0-2, then `extraFds` (3 ..), then the
 * channel, from a private mount namespace in which the node binary is read-only: the process it
 * spawns carries the stage's executable until its own execve, so a "#!/proc/self/exe" program in
 * the container reaches only a read-only node (CVE-2019-5736).
 */
export function spawnExecStage(entry: string, extraFds: number[], stdio0to2: StageStdio[] = ['inherit', 'inherit', 'inherit']): ChildProcess {
  const channelFd = 3 + extraFds.length;
  // 0-2 are the process's stdio when it has no terminal (runc passes its own through; an
  // in-process caller such as the shim gives the task's).
  const stdio: StageStdio[] = [...stdio0to2, ...extraFds, 'pipe'];
  // Nothing our caller left open without FD_CLOEXEC reaches the stage (CVE-2024-21626); the
  // listed fds still do, because each stdio entry is dup2()ed into place (spawn-stage.ts).
  libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  return withNamespaces(libcSys, [{ type: 'mount' }], undefined, () => {
    protectRuntimeBinary(libcSys);
    // The stage never inherits the caller's environment (nor pays for NODE_EXTRA_CA_CERTS); only
    // the trace switch and the test-only step hook's variables, when set (trace.ts, step-hook.ts).
    return spawnStage({
      argv: [process.execPath, entry, String(channelFd)],
      stdio,
      env: { ...stageTraceEnv(), ...stageHookEnv() },
      setsid: false,
      who: 'the exec stage',
    });
  });
}
