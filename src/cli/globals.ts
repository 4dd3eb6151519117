// Global flags, parsed the way runc's urfave/cli reads them: they come before the command.
import { UsageError } from '../errors';
import { defaultRoot } from '../state/store';
import type { LogFormat } from '../log';

// runc global flags that take a value / that are switches.
const VALUE_FLAGS = new Set(['root', 'log', 'log-format', 'criu', 'rootless']);
const SWITCHES = new Set(['debug', 'systemd-cgroup', 'help', 'h', 'version', 'v']);

export interface Globals {
  root: string;
  log?: string;
  logFormat: LogFormat;
  debug: boolean;
  help: boolean;
  version: boolean;
}

function fail(msg: string): never {
  throw new UsageError(msg);
}

/** Splits argv into global flags, the verb, and the verb's own arguments. */
export function parseGlobals(argv: string[]): { g: Globals; verb?: string; rest: string[] } {
  const g: Globals = { root: defaultRoot(), logFormat: 'text', debug: false, help: false, version: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') break;
    const [rawName, inline] = a.replace(/^--?/, '').split(/=(.*)/s, 2);
    const name = rawName;
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) fail(`flag needs an argument: --${name}`);
      if (name === 'root') g.root = value;
      else if (name === 'log') g.log = value;
      else if (name === 'log-format') {
        if (value !== 'text' && value !== 'json') fail(`invalid log format: ${value}`);
        g.logFormat = value;
      }
    } else if (SWITCHES.has(name)) {
      // runc's systemd driver turns cgroupsPath "slice:prefix:name" into systemd units; tsrun
      // writes cgroupfs itself, so it refuses rather than read such a path as a directory.
      if (name === 'systemd-cgroup') fail('--systemd-cgroup: the systemd cgroup driver is not supported by tsrun; configure the cgroupfs driver');
      if (name === 'debug') g.debug = true;
      if (name === 'help' || name === 'h') g.help = true;
      if (name === 'version' || name === 'v') g.version = true;
    } else {
      fail(`flag provided but not defined: ${a}`);
    }
  }
  return { g, verb: argv[i], rest: argv.slice(i + 1) };
}

