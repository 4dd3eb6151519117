// Entry of the exec stage: `node dist/exec.js <channel-fd>`, spawned by `tsrun exec` through a
// private mount namespace in which the node binary is bind-mounted read-only onto itself
// (exec-stage.ts). It stays in the host's PID namespace, turns its main thread into the exec'd
// process's template (exec-steps.ts), posix_spawns the process, reports its pid and leaves; the
// process is then reparented to `tsrun exec` (a child subreaper) or, with --detach, to the
// caller's subreaper (containerd's shim, conmon), as runc's exec'd processes are.
import * as libc from '../../sys/libc';
import { libcSys } from '../../sys/libc-sys';
import { PR_SET_DUMPABLE } from '../../sys/constants';
import { SyncChannel, ChannelClosed } from './sync-channel';
import { execInContainer } from './exec-steps';
import { errorMessage } from './stage-errors';
import { openExecPty, preloadExecPty } from './exec-pty';
import { EXEC_TO_STAGE, type ExecToStage, type StageToExec } from '../../stage-config/exec-config';
import { setTraceSink, trace } from '../../trace';
import { reached, setStepRole } from '../../step-hook';

function main(): never {
  setStepRole('exec-stage');
  const fd = Number(process.argv[2]);
  if (!Number.isInteger(fd) || fd < 3) {
    process.stderr.write('tsrun exec stage: this program is started by tsrun exec, not by hand\n');
    process.exit(2);
  }
  const ch = new SyncChannel<ExecToStage, StageToExec>(fd, EXEC_TO_STAGE);
  // Under --debug the trace lines go to tsrun exec's log as debug messages (trace.ts).
  setTraceSink((message) => ch.send({ type: 'debug', message }));
  try {
    // hello goes first (fs.writeSync, no syscall through koffi): tsrun exec's cgroup join then
    // overlaps this stage's load of koffi, which the prctl below pays (issue 11).
    ch.send({ type: 'hello' });
    trace('hello sent');
    // Non-dumpable before it joins anything of the container, so no process there can ptrace this
    // stage or open its fds or /proc/<pid>/exe (CVE-2019-5736); the spawned child inherits the
    // flag until its execve. Until the exec config comes, the stage is in no namespace of theirs.
    libc.prctl(PR_SET_DUMPABLE, 0);
    const { config } = ch.expect('exec');
    trace('exec config received');
    const pid = execInContainer(
      libcSys,
      config,
      (message) => ch.send({ type: 'warn', message }),
      (message) => ch.send({ type: 'debug', message }),
      { preload: preloadExecPty, open: openExecPty },
    );
    trace('process spawned');
    reached('spawned');
    ch.send({ type: 'spawned', pid });
    libc.exitNow(0);
  } catch (e) {
    if (!(e instanceof ChannelClosed)) {
      try {
        ch.send(errorMessage('exec', e));
      } catch {
        // tsrun exec is gone; nothing left to tell
      }
    }
    libc.exitNow(1);
  }
}

main();
