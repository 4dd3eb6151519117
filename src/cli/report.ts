// How a failed command is reported: one line on stderr (never a stack trace) and, with --log, a
// runc-style line in the log file. Used by main.ts and by each verb bundle (run-verb.ts): every
// bundle has its own copy of errors.ts and log.ts, so the check and the logger must be the ones
// of the bundle that threw.
import { RuntimeError } from '../errors';
import { log } from '../log';
import { writeErr } from './output';

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * The message with its control characters escaped (\n, \t, \u0007): messages quote values from
 * config.json, and a newline in one split the error into two lines (found by
 * test/reliability/mutated-configs.test.ts: a readonlyPaths entry "\n...").
 */
export function oneLine(msg: string): string {
  return msg.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function reportError(e: unknown, verb: string): number {
  const msg = oneLine(e instanceof Error ? e.message : String(e));
  const internal = !(e instanceof RuntimeError);
  const line = internal ? `internal error: ${msg}` : msg;
  // The log line carries the message alone, as runc's does: clients (containerd's shim, conmon)
  // show its msg to the user, and match on it (podman: "executable file not found" -> 127).
  log.error(line);
  writeErr(`tsrun${verb ? ` ${verb}` : ''}: ${line}\n`);
  if (internal && process.env.TSRUN_DEBUG_STACK) writeErr(`${(e as Error)?.stack}\n`);
  return 1;
}
