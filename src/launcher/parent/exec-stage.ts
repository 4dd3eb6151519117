// `tsrun exec`'s half of the exec protocol (exec-config.ts): spawn the exec stage, put it in the
// container's cgroup when it says hello, hand it the config, and learn the pid of the process it
// spawned. The stage is spawned from a private mount namespace in which the node binary is
// read-only (protect-binary.ts): the process it spawns carries the stage's executable until its
// own execve, so a "#!/proc/self/exe" program in the container reaches only a read-only node
// (CVE-2019-5736). The stage itself never enters the container's PID namespace.
import type { ChildProcess } from 'node:child_process';
import path = require('node:path');
import type { Socket } from 'node:net';
import * as libc from '../../sys/libc';
import { libcSys } from '../../sys/libc-sys';
import { CLOSE_RANGE_CLOEXEC } from '../../sys/constants';
import { StageError, RuntimeError } from '../../errors';
import { startTrampoline } from './trampoline';
import type { NsRequest } from '../../stage-config/namespaces';
import { withNamespaces } from './ns-window';
import { protectRuntimeBinary } from '../protect-binary';
import { StageHandle } from './stage-handle';
import { STAGE_TO_EXEC, type ExecAnswer, type ExecConfig, type ExecToStage } from '../../stage-config/exec-config';
import { reached } from '../../step-hook';
import type { StageStdio } from './spawn-stage';
import { spawnExecStage } from './exec-stage-spawn';
import { EXEC_PLAIN_KEY } from './early-exec-plan';
import type { EarlyInit } from './early-plan';

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
  /** The caller set this thread's cpu affinity for the stage to inherit (execCPUAffinity.initial). */
  inheritsAffinity?: boolean;
  /** An exec stage the dispatcher spawned ahead of the exec bundle (early-exec-plan.ts). */
  early?: EarlyInit;
  /** The stage's fds 0-2, which the process inherits without a terminal; default: ours. */
  stdio?: StageStdio[];
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
  let stage: ChildProcess;
  if (o.trampolineJoins?.length) {
    // A user or time namespace is joined by the trampoline, which then execs the stage; an early
    // stage (spawned without it) is not the one.
    o.early?.take('');
    const stdio: StageStdio[] = [...(o.stdio ?? ['inherit', 'inherit', 'inherit']), ...o.extraFds, 'pipe'];
    // As in spawnExecStage: no stray fd of our caller's reaches the stage (CVE-2024-21626).
    libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
    const program = [process.execPath, stageEntry(), String(channelFd)];
    const failure = (m: string) => new StageError('namespaces', `unable to start container process: ${m}`);
    // Not root (a rootless container): no mount namespace of our own can be made or left, so the
    // trampoline joins the container's user namespace and protects node from there (nsexec.c -m).
    // The container always has a user namespace then (src/spec/rootless.ts), so it is in the joins.
    const started = (process.geteuid?.() ?? 0) !== 0
      ? startTrampoline({ requests: o.trampolineJoins, program, stdio, detached: false, protectBinary: true, failure })
      : withNamespaces(libcSys, [{ type: 'mount' }], undefined, () => {
        protectRuntimeBinary(libcSys);
        return startTrampoline({ requests: o.trampolineJoins ?? [], program, stdio, detached: false, failure });
      });
    stage = await started.finish();
  } else {
    // The stage the dispatcher spawned ahead (early-exec-plan.ts) if it has this shape: no extra
    // fds, and no initial cpu affinity that the stage should have inherited at its spawn.
    // An early stage has our stdio: not for a caller that gives its own.
    const key = o.extraFds.length === 0 && !o.inheritsAffinity && !o.stdio ? EXEC_PLAIN_KEY : '';
    stage = o.early?.take(key) ?? spawnExecStage(stageEntry(), o.extraFds, o.stdio);
  }
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
  const h = new StageHandle<ExecAnswer, ExecToStage>(stage, channel, {
    who: 'exec stage',
    // runc's words (clients match on what follows: "executable file not found", "permission denied").
    failure: (e) => `unable to start container process: ${e.message}`,
  }, STAGE_TO_EXEC);
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
