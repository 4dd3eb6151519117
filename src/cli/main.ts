// tsrun's command line, runc-compatible: global flags first (`--root`, `--log`, `--log-format`,
// `--debug`), then the verb and its own flags. This module owns argv parsing, exit codes and the
// printing of errors; every verb lives in commands/<verb>.ts and is loaded only when used.
import fs = require('node:fs');
import path = require('node:path');
import { configureLog, log } from '../log';
import { reportError } from './report';
import type { VerbGlobals } from './run-verb';
import { parseGlobals } from './globals';
import { UsageError } from '../errors';
import { DEFAULT_ROOT } from '../state/store';
import { SPEC_VERSION } from '../spec/version';
import { writeOut, writeErr } from './output';
import { exitNow } from './exit';
import { flushCodeCaches, loadBundle, refreshStageCache } from '../boot/code-cache';
import { configureTrace, trace } from '../trace';
import type { EarlyStage } from '../launcher/parent/early-stage';
import type * as EarlyStageModule from '../launcher/parent/early-stage';
import { runningInUserNs } from '../linux/userns';
import { earlyPlan } from '../launcher/parent/early-plan';
import { earlyExecPlan } from '../launcher/parent/early-exec-plan';

// Node's start-up until here (and this small dispatcher's compile, required plainly by bin/tsrun).
trace('node started, dispatcher running');

const VERSION = '0.1.0';

// verb -> the handler its module exports. Each verb is built into a bundle of its own
// (dist/verbs/<verb>.js, scripts/build.mjs): `tsrun state` never parses the create path, the
// JSON Schema validators or child_process. Measured: `state` went from ~70 ms to ~40 ms.
const VERBS: Record<string, string> = {
  create: 'createCommand',
  start: 'startCommand',
  exec: 'execCommand',
  run: 'runCommand',
  state: 'stateCommand',
  kill: 'killCommand',
  delete: 'deleteCommand',
  list: 'listCommand',
  pause: 'pauseCommand',
  resume: 'resumeCommand',
  update: 'updateCommand',
  ps: 'psCommand',
  events: 'eventsCommand',
  spec: 'specCommand',
  features: 'featuresCommand',
  validate: 'validateCommand',
};

// Verbs that are done when their handler returns, and so leave through exitNow (exit.ts) rather
// than Node's teardown. Not create, run and exec: they start children that outlive the handler's
// promise or relay a terminal, and restore it on 'exit'.
const EXIT_AT_ONCE = new Set([
  'state', 'list', 'kill', 'delete', 'start', 'pause', 'resume', 'update', 'ps', 'events', 'spec', 'features', 'validate',
]);
// Set by main(): help, version and bad global flags are done at once too.
let exitAtOnce = true;

type VerbMain = (verb: string, handler: string, argv: string[], g: VerbGlobals) => Promise<number>;

function loadVerb(verb: string): VerbMain {
  // Each bundle's `main` is run-verb.ts's runVerb around that command's handler. Loaded through
  // its V8 code cache (boot/code-cache.ts): the CLI may write caches, the stages never do.
  return (loadBundle(path.join(__dirname, 'verbs', `${verb}.js`), { write: true }).exports as { main: VerbMain }).main;
}

// The stage whose bundle a verb spawns: the CLI keeps that bundle's cache usable for it.
const STAGE_OF: Record<string, string> = { create: 'init', run: 'init', exec: 'exec' };
let stageBundle: string | undefined;

/**
 * The end of every command: the caches that missed are written now that the run compiled its
 * code, then the process leaves. Cache work never changes the exit status or the output.
 */
function finish(code: number): void {
  try {
    flushCodeCaches(code === 0);
    if (stageBundle) refreshStageCache(stageBundle);
  } catch {
    // only an optimisation
  }
  trace(`exit, status ${code}`);
  if (exitAtOnce) exitNow(code);
  process.exitCode = code;
}

function readLink(file: string): string | undefined {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * create and run: the init stage spawned now, before the verb bundle loads, so that its Node
 * start-up overlaps ours (src/launcher/parent/early-stage.ts, in dist/early.js); exec: its exec stage,
 * likewise. Only for the plain cases (early-plan.ts, early-exec-plan.ts, decided here so that
 * other command lines never load dist/early.js); the verb validates first and adopts the stage,
 * or it is killed when the verb is done. Any failure here leaves everything to the verb, which
 * spawns the stage itself as it always has.
 */
function spawnEarly(verb: string, rest: string[], root: string): EarlyStage | undefined {
  // Not root: the early stages' namespace window (unshare, then setns back) is root's, and the
  // verb refuses a config without a user namespace anyway (src/spec/rootless.ts). Found when a
  // non-root `tsrun run` of such a config died with "cannot restore namespaces".
  // Root of a user namespace that is not the initial one (rootless podman's runtime): the window
  // could not setns back into the namespaces its parent namespace owns (found by running tsrun
  // under rootless podman: "cannot restore namespaces: uts: setns: EPERM").
  if ((process.geteuid?.() ?? 0) !== 0 || runningInUserNs()) return undefined;
  const plan = verb === 'exec' ? undefined : earlyPlan(verb, rest, readText);
  if (!plan && !(verb === 'exec' && earlyExecPlan(rest, root, { readText, readLink }))) return undefined;
  try {
    // Through its code cache too, as the verbs (boot/code-cache.ts).
    const mod = loadBundle(path.join(__dirname, 'early.js'), { write: true }).exports as typeof EarlyStageModule;
    const early = plan ? mod.spawnEarly(plan) : mod.spawnEarlyExec();
    if (early) log.debug(`${plan ? 'init' : 'exec'} stage spawned early, before the ${verb} bundle: pid ${early.pid}`);
    return early;
  } catch (e) {
    log.debug(`no early stage: ${(e as Error).message}`);
    return undefined;
  }
}

const USAGE = `tsrun: an OCI container runtime (runc-compatible) written in TypeScript

Usage: tsrun [global options] <command> [command options] [arguments]

Commands:
  create     create a container from a bundle (its process waits for start)
  start      start the process of a created container
  run        create and start a container
  exec       run another process in a container
  state      print the state of a container
  kill       send a signal to a container's process
  delete     delete a container
  list       list containers
  pause      suspend every process of a container
  resume     resume a paused container
  update     change the resource limits of a container
  ps         show the processes of a container
  events     print a container's stats and OOM events
  spec       write a default config.json
  features   print the features this tsrun supports
  validate   check a bundle's config.json

Global options:
  --root DIR             state directory (default ${DEFAULT_ROOT}; not root: $XDG_RUNTIME_DIR/tsrun)
  --log FILE             write log lines to FILE (default stderr)
  --log-format FORMAT    text or json (default text)
  --debug                log debug messages
  -v, --version          print the version
  -h, --help             print this help; \`tsrun <command> --help\` for a command
`;

async function main(argv: string[]): Promise<number> {
  let verbName = '';
  try {
    const { g, verb, rest } = parseGlobals(argv);
    configureLog({ file: g.log, format: g.logFormat, debug: g.debug });
    configureTrace(g.debug, (m) => log.debug(m));
    if (g.version) {
      writeOut(`tsrun version ${VERSION}\nspec: ${SPEC_VERSION}\nnode: ${process.version}\n`);
      return 0;
    }
    if (g.help || !verb || verb === 'help') {
      writeOut(USAGE);
      return verb || g.help ? 0 : 1;
    }
    verbName = verb;
    exitAtOnce = !Object.hasOwn(VERBS, verb) || EXIT_AT_ONCE.has(verb);
    if (!Object.hasOwn(VERBS, verb)) throw new UsageError(`unknown command '${verb}' (see tsrun --help)`);
    if (Object.hasOwn(STAGE_OF, verb)) stageBundle = path.join(__dirname, 'stages', `${STAGE_OF[verb]}.js`);
    const early = spawnEarly(verb, rest, g.root);
    try {
      return await loadVerb(verb)(verb, VERBS[verb], rest, { root: g.root, log: g.log, logFormat: g.logFormat, debug: g.debug, early });
    } finally {
      // Not taken by launchInit (the verb failed before it, or spawned another shape): gone before we exit.
      await early?.dispose();
    }
  } catch (e) {
    return reportError(e, verbName);
  }
}

main(process.argv.slice(2)).then(finish, (e) => {
  writeErr(`tsrun: internal error: ${(e as Error)?.message}\n`);
  finish(1);
});
