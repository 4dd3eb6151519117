// Which `create`/`run` command lines may have their init stage spawned by the dispatcher, before
// the verb bundle loads (early-stage.ts), and with what. The answer comes from a cheap look only:
// the verb's flags scanned by hand and config.json through JSON.parse, no schema, no checks. So it
// is deliberately narrow: the plain case (no terminal, no --preserve-fds, only new namespaces, a
// mount namespace among them, no time offsets). Anything else, anything it does not recognise and
// anything unparsable gives undefined: the verb then spawns the stage itself as it always has.
// Being wrong here costs time, never correctness: the verb validates the config first, and
// launchInit adopts the early stage only if spawnKey() of what it would spawn is the same
// (parent.ts); otherwise the early stage is killed.
import path = require('node:path');
import type { ChildProcess } from 'node:child_process';
import type { NsRequest, TimeOffsets, WindowNs } from '../../stage-config/namespaces';

/** What an early spawn is made with: the parts of the init stage's spawn that the config sets. */
export interface EarlyPlan {
  nsRequests: NsRequest[];
}

/** An init stage spawned ahead, as launchInit sees it (early-stage.ts implements it). */
export interface EarlyInit {
  readonly pid: number;
  /**
   * The stage, if it was spawned with this spawnKey and is still alive; launchInit then owns it.
   * Otherwise undefined, and the early stage is killed. Only the first call can return it.
   */
  take(key: string): ChildProcess | undefined;
}

/** Everything the init stage's spawn depends on (the rest of the config goes in `bootstrap`). */
export interface SpawnShape {
  nsRequests: NsRequest[];
  timeOffsets?: TimeOffsets;
  preserveFds: number;
  terminal: boolean;
}

/** Two spawns with the same key give the same stage: same namespaces, stdio and fd layout. */
export function spawnKey(s: SpawnShape): string {
  const ns = s.nsRequests.map((r) => `${r.type}=${r.path ?? ''}`).sort();
  return JSON.stringify({ ns, time: s.timeOffsets ?? null, fds: s.preserveFds, terminal: s.terminal });
}

// The flags of `create` and `run` (src/cli/commands/create.ts, run.ts) the early spawn can serve.
// --console-socket and --preserve-fds change the stage's stdio; they, --help, `--` and any other
// flag leave the decision to the verb.
const VALUE_FLAGS: Record<string, string> = { '--bundle': 'bundle', '-b': 'bundle', '--pid-file': 'pid-file' };
const SWITCHES: Record<string, Set<string>> = {
  create: new Set(['--no-pivot', '--no-new-keyring']),
  run: new Set(['--no-pivot', '--no-new-keyring', '--detach', '-d', '--keep']),
};

/** The bundle directory of a plain create/run command line, or undefined. */
export function earlyBundle(verb: string, argv: string[]): string | undefined {
  const switches = SWITCHES[verb];
  if (!switches) return undefined;
  let bundle = '.';
  let ids = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      ids++;
      continue;
    }
    if (switches.has(a)) continue;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!Object.hasOwn(VALUE_FLAGS, name)) return undefined;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') return undefined;
    if (VALUE_FLAGS[name] === 'bundle') bundle = value;
  }
  return ids === 1 ? bundle : undefined;
}

// The namespace types the early spawn makes: those the window creates (ns-window.ts), and cgroup,
// which the init stage unshares itself (convert.ts leaves a new one out of the window). Not
// user (the trampoline makes it, parent.ts) or time (offsets must be written into it before the first process enters it:
// left to the normal path).
const EARLY_NS = new Set<string>(['pid', 'network', 'mount', 'ipc', 'uts', 'cgroup']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The early spawn for this parsed config.json, or undefined when it is not the plain case. */
export function earlyPlanOf(config: unknown): EarlyPlan | undefined {
  if (!isObject(config)) return undefined;
  const proc = config.process;
  // A terminal puts /dev/null on the stage's stdio and passes it a console socket.
  if (proc !== undefined && (!isObject(proc) || (proc.terminal !== undefined && proc.terminal !== false))) return undefined;
  const linux = config.linux;
  if (!isObject(linux) || linux.timeOffsets !== undefined) return undefined;
  const list = linux.namespaces;
  if (!Array.isArray(list)) return undefined;
  const seen = new Set<string>();
  const nsRequests: NsRequest[] = [];
  for (const ns of list) {
    if (!isObject(ns) || typeof ns.type !== 'string' || !EARLY_NS.has(ns.type) || seen.has(ns.type)) return undefined;
    // A joined namespace (any `path`, even an empty one) is left to the normal path.
    if (ns.path !== undefined) return undefined;
    seen.add(ns.type);
    // convert.ts: a new cgroup namespace is made by the init stage, not in the window.
    if (ns.type !== 'cgroup') nsRequests.push({ type: ns.type as WindowNs });
  }
  // Without a mount namespace the stage shares ours: no read-only node to bind (parent.ts), and a
  // rare case not worth a second path.
  if (!seen.has('mount')) return undefined;
  return { nsRequests };
}

/**
 * The early spawn for `tsrun <verb> <argv>`, reading config.json through `readText` (which
 * returns undefined when it cannot), or undefined: not create/run, an unusual command line or
 * config, an unreadable or unparsable file.
 */
export function earlyPlan(verb: string, argv: string[], readText: (file: string) => string | undefined): EarlyPlan | undefined {
  const bundle = earlyBundle(verb, argv);
  if (bundle === undefined) return undefined;
  const text = readText(path.resolve(bundle, 'config.json'));
  if (text === undefined) return undefined;
  try {
    return earlyPlanOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The SpawnShape of an early plan: no preserved fds, no terminal, no time offsets. */
export function earlyShape(p: EarlyPlan): SpawnShape {
  return { nsRequests: p.nsRequests, preserveFds: 0, terminal: false };
}
