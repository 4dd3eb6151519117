// `tsrun exec`'s half of the exec protocol (exec-config.ts): spawn the exec stage, put it in the
// container's cgroup when it says hello, hand it the config, and learn the pid of the process it
// spawned. The stage is spawned from a private mount namespace in which the node binary is
// read-only (protect-binary.ts): the process it spawns carries the stage's executable until its
// own execve, so a "#!/proc/self/exe" program in the container reaches only a read-only node
// (CVE-2019-5736). The stage itself never enters the container's PID namespace.
import type { ChildProcess } from 'node:child_process';
import path = require('node:path');
import type { Socket } from 'node:net';
import * as libc from '../sys/libc';
import { CLOSE_RANGE_CLOEXEC } from '../sys/constants';
import { InitStageError, RuntimeError } from '../errors';
import { startTrampoline, type StartedTrampoline } from './trampoline';
import type { NsRequest } from './ns-window';
import { withNamespaces } from './ns-window';
import { protectRuntimeBinary } from './protect-binary';
import { StageHandle } from './stage-handle';
import type { ExecConfig, ExecToStage, StageToExec } from './exec-config';
import { stageTraceEnv } from '../trace';
import { reached, stageHookEnv } from '../step-hook';
import { spawnStage, type StageStdio } from './spawn-stage';

export interface ExecStageOptions {
  config: ExecConfig;
  /** fds of tsrun exec handed to the stage as 3 .. 3+n-1 (--preserve-fds, then the console socket). */
  extraFds: number[];
  /** With --pid-file etc: called with the stage's pid after `hello` (cgroup apply). */
  onHello: (stagePid: number) => void;
  onWarning: (msg: string) => void;
  onSpawn?: (stage: ChildProcess) => void;
  /** Namespaces the trampoline joins before it execs the stage (user, time); none: no trampoline. */
  trampolineJoins?: NsRequest[];
}

export interface ExecStageResult {
  pid: number;
  /** Resolves when the stage has exited: from then on the process is reparented. */
  stageExited: Promise<void>;
}

function stageEntry(): string {
  return path.join(__dirname, '..', 'exec.js');
}

export async function runExecStage(o: ExecStageOptions): Promise<ExecStageResult> {
  const channelFd = 3 + o.extraFds.length;
  // 0-2 are the process's stdio when it has no terminal (runc passes its own through).
  const stdio: StageStdio[] = ['inherit', 'inherit', 'inherit', ...o.extraFds, 'pipe'];
  // Nothing our caller left open without FD_CLOEXEC reaches the stage (CVE-2024-21626); the
  // listed fds still do, because each stdio entry is dup2()ed into place (spawn-stage.ts).
  libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  let viaTrampoline: StartedTrampoline | undefined;
  const spawned = withNamespaces([{ type: 'mount' }], undefined, () => {
    protectRuntimeBinary();
    const program = [process.execPath, stageEntry(), String(channelFd)];
    // A user or time namespace is joined by the trampoline, which then execs the stage.
    if (o.trampolineJoins?.length) {
      viaTrampoline = startTrampoline({
        requests: o.trampolineJoins, program, stdio, detached: false,
        failure: (m) => new InitStageError('namespaces', `unable to start container process: ${m}`),
      });
      return viaTrampoline.child;
    }
    // The stage never inherits the caller's environment (nor pays for NODE_EXTRA_CA_CERTS); only
    // the trace switch and the test-only step hook's variables, when set (trace.ts, step-hook.ts).
    return spawnStage({ argv: program, stdio, env: { ...stageTraceEnv(), ...stageHookEnv() }, setsid: false, who: 'the exec stage' });
  });
  const stage = viaTrampoline ? await (viaTrampoline as StartedTrampoline).finish() : spawned;
  o.onSpawn?.(stage);
  reached('spawn');
  const channel = stage.stdio[channelFd] as Socket | null;
  if (!channel || stage.pid === undefined) {
    const err = await new Promise<Error | undefined>((resolve) => {
      stage.once('error', resolve);
      setTimeout(() => resolve(undefined), 100).unref();
    });
    throw new RuntimeError('spawn', `cannot start the exec stage: ${err?.message ?? 'unknown error'}`);
  }
  const h = new StageHandle<StageToExec, ExecToStage>(stage, channel, {
    who: 'exec stage',
    // runc's words (clients match on what follows: "executable file not found", "permission denied").
    failure: (e) => `unable to start container process: ${e.message}`,
  });
  try {
    await h.expect('hello', o.onWarning);
    reached('hello');
    o.onHello(stage.pid);
    h.send({ type: 'exec', config: o.config });
    reached('config-sent');
    const { pid } = await h.expect('spawned', o.onWarning);
    reached('spawned');
    h.closeChannel();
    return { pid, stageExited: h.waitExit().then(() => undefined) };
  } catch (e) {
    await h.kill();
    // A stage that cannot die (frozen with the container's cgroup: exec --ignore-paused) must not
    // keep tsrun exec's event loop alive; it dies once the cgroup thaws.
    stage.unref();
    throw e;
  }
}
