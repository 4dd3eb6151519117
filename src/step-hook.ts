// A test-only hook at the named steps of `create` and `exec`, in the CLI process and in the init
// and exec stages, for test/reliability/kill-steps.test.ts: kill tsrun at each step in turn and
// check that `delete --force` still leaves nothing. Compiled in, inert unless the environment
// names it:
//   TSRUN_TEST_STEP_LOG=FILE        each step reached is appended to FILE as "<role>:<step>" (a
//                                   step passed again in the same process gets "#2", "#3", ...),
//                                   so a first run lists the steps from the code itself;
//   TSRUN_TEST_KILL_AT=<role>:<step> the process dies on reaching that step, before doing it.
// <role> is the verb in the CLI process ("create", "run", "exec"), "init" in the init stage and
// "exec-stage" in the exec stage. The stages get these two variables, and only these, from their
// parent (stageHookEnv); the container's process never does (it gets process.env of config.json).
import fs = require('node:fs');
import { exitNow } from './sys/libc';

const killAt = process.env.TSRUN_TEST_KILL_AT;
const logPath = process.env.TSRUN_TEST_STEP_LOG;
// Opened now, while the host's paths are in view: the stages reach later steps after pivot_root
// or setns into the container's mount namespace. Node opens with O_CLOEXEC, so the fd never
// reaches a container process; O_APPEND keeps the lines of concurrent processes whole.
const logFd = logPath ? fs.openSync(logPath, 'a') : undefined;

let role = 'tsrun';
const seen = new Map<string, number>();

/** Names this process in the step labels: the verb, "init", "exec-stage". */
export function setStepRole(r: string): void {
  role = r;
}

/** Marks the step `name` as reached: logs it, or dies here when TSRUN_TEST_KILL_AT names it. */
export function reached(name: string): void {
  if (killAt === undefined && logFd === undefined) return;
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  const label = `${role}:${name}${n > 1 ? `#${n}` : ''}`;
  if (logFd !== undefined) fs.writeSync(logFd, `${label}\n`);
  if (label !== killAt) return;
  // PID 1 of a PID namespace (the init stage with a new one) ignores a SIGKILL sent from inside
  // its own namespace (pid_namespaces(7), "signals to the init process"): there _exit(2), which
  // like SIGKILL runs no handler, no `finally` and no exit hook of Node.
  if (process.pid === 1) exitNow(137);
  process.kill(process.pid, 'SIGKILL');
}

/** The hook's variables, for the environment of a stage (which inherits nothing else). */
export function stageHookEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  if (killAt !== undefined) env.TSRUN_TEST_KILL_AT = killAt;
  if (logPath !== undefined) env.TSRUN_TEST_STEP_LOG = logPath;
  return env;
}
