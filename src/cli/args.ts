// Shared flag parsing for the verbs: minimist with unknown options refused (runc refuses them
// too: "flag provided but not defined"), `--flag value` and `--flag=value` both accepted.
import minimist from 'minimist';
import { UsageError } from '../errors';
import { writeOut } from './output';

export interface FlagSpec {
  string?: string[];
  boolean?: string[];
  alias?: Record<string, string>;
  /** Stop at the first positional argument: what follows is someone else's (exec's command). */
  stopEarly?: boolean;
}

export type Parsed = minimist.ParsedArgs;

export function parseFlags(verb: string, argv: string[], spec: FlagSpec): Parsed {
  const known = new Set<string>([...(spec.string ?? []), ...(spec.boolean ?? []), 'help', 'h']);
  for (const [a, b] of Object.entries(spec.alias ?? {})) {
    known.add(a);
    known.add(b);
  }
  let bad: string | undefined;
  const args = minimist(argv, {
    string: spec.string,
    boolean: [...(spec.boolean ?? []), 'help'],
    alias: { h: 'help', ...(spec.alias ?? {}) },
    stopEarly: spec.stopEarly,
    // Stop at the first positional after flags? runc allows flags only before the id; keep all.
    unknown: (arg) => {
      if (arg.startsWith('-') && arg !== '-') {
        const name = arg.replace(/^-+/, '').split('=')[0];
        if (!known.has(name)) bad ??= arg;
        return known.has(name);
      }
      return true;
    },
  });
  // No verb prefix here: main.ts already prints "tsrun <verb>: " before every error line (the
  // line read "tsrun create: create: flag provided ..."; found by test/integration/faults.test.ts).
  if (bad) throw new UsageError(`flag provided but not defined: ${bad}`);
  return args;
}

/** The single string value of a flag (the last one wins when repeated, as in runc's urfave/cli). */
export function str(args: Parsed, name: string): string | undefined {
  const v = args[name];
  if (v === undefined || v === '') return undefined;
  return String(Array.isArray(v) ? v[v.length - 1] : v);
}

export function int(args: Parsed, name: string, dflt: number): number {
  const s = str(args, name);
  if (s === undefined) return dflt;
  if (!/^\d+$/.test(s)) throw new UsageError(`invalid value "${s}" for flag --${name}: not a non-negative integer`);
  return Number(s);
}

/** Exactly one positional argument: the container id (runc: "requires exactly 1 argument(s)"). */
export function oneId(verb: string, args: Parsed, max = 1): string {
  const pos = args._.map(String);
  if (pos.length < 1 || pos.length > max) {
    throw new UsageError(`"tsrun ${verb}" requires ${max === 1 ? 'exactly 1' : 'a minimum of 1'} argument(s)`);
  }
  return pos[0];
}

/** Prints a command's usage text (for --help) and returns exit status 0. */
export function help(text: string): number {
  writeOut(text);
  return 0;
}
