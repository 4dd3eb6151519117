// How a failed command is reported: one line on stderr (never a stack trace) and, with --log, a
// runc-style line in the log file. Used by main.ts and by each verb bundle (run-verb.ts): every
// bundle has its own copy of errors.ts and log.ts, so the check and the logger must be the ones
// of the bundle that threw.
import { RuntimeError } from '../errors';
import { log } from '../log';
import { writeErr } from './output';

export function reportError(e: unknown, verb: string): number {
  const msg = e instanceof Error ? e.message : String(e);
  const internal = !(e instanceof RuntimeError);
  const line = internal ? `internal error: ${msg}` : msg;
  // The log line carries the message alone, as runc's does: clients (containerd's shim, conmon)
  // show its msg to the user, and match on it (podman: "executable file not found" -> 127).
  log.error(line);
  writeErr(`tsrun${verb ? ` ${verb}` : ''}: ${line}\n`);
  if (internal && process.env.TSRUN_DEBUG_STACK) writeErr(`${(e as Error)?.stack}\n`);
  return 1;
}
