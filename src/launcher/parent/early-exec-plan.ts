// Which `exec` command lines have their exec stage spawned by the dispatcher (src/cli/main.ts)
// before the exec verb bundle loads, as early-plan.ts decides for create and run: the stage's
// Node start then overlaps the bundle's compile, the state read and the process checks.
//
// Only the plain case, from a cheap look (the flags scanned by hand, state.json through
// JSON.parse): no terminal (-t, --console-socket), no --preserve-fds, no -p (its process may ask
// for a terminal), a container whose user and time namespaces are ours (otherwise the trampoline
// joins them before node starts: trampoline.ts) and that sets no execCPUAffinity (the stage would
// have to inherit the initial affinity at its spawn). Anything else gives undefined, and the verb
// spawns the stage itself. Being wrong costs time, never correctness: runExecStage adopts the early
// stage only when the stage it would spawn has EXEC_PLAIN_KEY, and kills it otherwise.
import path = require('node:path');

/** The spawn shape of every early exec stage: stdio 0-2 ours, the channel at 3, in a private mount namespace. */
export const EXEC_PLAIN_KEY = 'exec stage: channel at 3, no trampoline, no initial cpu affinity';

// runc's exec flags (src/cli/commands/exec.ts) that do not change how the stage is spawned.
const VALUE_FLAGS = new Set(['--cwd', '--env', '-e', '--user', '-u', '--additional-gids', '-g', '--cap', '-c', '--pid-file', '--apparmor', '--process-label']);
const SWITCHES = new Set(['--detach', '-d', '--no-new-privs', '--ignore-paused']);
// state/store.ts checkId: the id becomes a path component.
const ID_RE = /^[\w+\-.]+$/;

/** The container id of a plain `exec` command line (flags, the id, then a command), or undefined. */
export function earlyExecId(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      // The id; everything after it is the command (exec parses with stopEarly), which must exist.
      const ok = ID_RE.test(a) && a !== '.' && a !== '..' && i + 1 < argv.length;
      return ok ? a : undefined;
    }
    if (SWITCHES.has(a)) continue;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!VALUE_FLAGS.has(name)) return undefined;
    if (eq < 0 && ++i >= argv.length) return undefined;
  }
  return undefined;
}

/** What the plan reads: a file's text and a symlink's target, each undefined when it cannot. */
export interface PlanReader {
  readText(file: string): string | undefined;
  readLink(file: string): string | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `tsrun --root <root> exec <argv>` is the plain case whose stage may be spawned early. */
export function earlyExecPlan(argv: string[], root: string, r: PlanReader): boolean {
  const id = earlyExecId(argv);
  if (id === undefined) return false;
  const text = r.readText(path.join(root, id, 'state.json'));
  if (text === undefined) return false;
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isObject(rec) || !Number.isInteger(rec.pid) || (rec.pid as number) <= 0) return false;
  const proc = isObject(rec.config) ? rec.config.process : undefined;
  if (isObject(proc) && proc.execCPUAffinity !== undefined) return false;
  // container/exec.ts namespaceFlags: another user or time namespace means the trampoline.
  for (const ns of ['user', 'time']) {
    if (r.readLink(`/proc/${rec.pid as number}/ns/${ns}`) !== r.readLink(`/proc/self/ns/${ns}`)) return false;
  }
  return true;
}
