// What the exec stage (dist/exec.js, src/launcher/stage/exec-main.ts) is told, and the messages between
// it and `tsrun exec`. Everything is resolved by `tsrun exec` beforehand (which namespaces differ
// from the host's, the container's seccomp profile, the merged process), so the exec stage makes
// no policy decisions of its own, like the init stage (init-config.ts).
//
//  tsrun exec                                 exec stage (host pid namespace, non-dumpable)
//  ns window (private mount ns, node ro) -> spawn
//                               ◀── hello
//  cgroup apply(pid)
//  exec{config}                 ───────────▶  affinity, keyring, setns, rlimits, identity, caps,
//                                             NNP, seccomp, posix_spawn of the process
//                               ◀── spawned{pid} | error{step, ...}
//  pid file; wait for the stage, then for the process (tsrun exec is its subreaper)
import type { InitProcess } from './init-config';
import type { InitSeccomp } from '../security/seccomp';
import { STAGE_REPORTS, isObject, type Accepts, type HelloMsg, type StageReport } from '../launcher/protocol';

export interface ExecProcess extends InitProcess {
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  /** process.execCPUAffinity, parsed (src/security/cpu-affinity.ts): initial is set by tsrun exec, final by the stage. */
  cpuAffinityInitial?: number[];
  cpuAffinityFinal?: number[];
}

export interface ExecConfig {
  id: string;
  /** Host pid and start time of the container's init: pinned with a pidfd, then joined. */
  initPid: number;
  initStartTime: number;
  /** CLONE_NEW* flags of the namespaces to join: those of init that are not the runtime's own. */
  nsFlags: number;
  /** Whether that set includes a mount namespace (the stage unshares CLONE_FS first). */
  joinsMountNs: boolean;
  /**
   * The container has no mount namespace of its own: its root is a chroot of the init's, which
   * setns(2) does not give. The stage chroots into /proc/<initPid>/root after setns.
   */
  enterInitRoot: boolean;
  process: ExecProcess;
  /** Join a session keyring of the container's name (false with --no-new-keyring at create). */
  newKeyring: boolean;
  seccomp?: InitSeccomp;
  /** fds 3 .. 3+preserveFds-1 go to the process (--preserve-fds). */
  preserveFds: number;
  /** With a terminal: the fd in the stage over which the pty master goes to tsrun exec's client. */
  consoleFd?: number;
}

export interface ExecMsg { type: 'exec'; config: ExecConfig }
export interface SpawnedMsg { type: 'spawned'; pid: number }

/** The exec stage's answers to tsrun exec. */
export type ExecAnswer = HelloMsg | SpawnedMsg;
export type StageToExec = ExecAnswer | StageReport;
export type ExecToStage = ExecMsg;

/** What tsrun exec accepts from the exec stage. */
export const STAGE_TO_EXEC: Accepts<StageToExec> = {
  ...STAGE_REPORTS,
  spawned: (m) => typeof m.pid === 'number' && Number.isInteger(m.pid) && m.pid > 0,
};
/** What the exec stage accepts from tsrun exec. */
export const EXEC_TO_STAGE: Accepts<ExecToStage> = {
  exec: (m) => isObject(m.config),
};
