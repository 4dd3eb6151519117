// `tsrun spec`: writes the default config.json into a bundle (like `runc spec`), and optionally
// fills the bundle's rootfs from an exported container filesystem (`--rootfs-tar`).
//
// Start-up cost matters (every tsrun command is a fresh Node process), so this file imports only
// what every run needs; the tar code is loaded on demand.
import { promises as fsp } from 'node:fs';
import path = require('node:path');
import minimist from 'minimist';
import { defaultSpec } from '../../spec/default-spec';
import { toRootless } from '../../spec/rootless-spec';
import { RuntimeError, UsageError } from '../../errors';
import { writeOut, writeErr } from '../output';

const USAGE = `Usage: tsrun spec [options]

Create a new config.json (the default spec) in the bundle directory.

Options:
  -b, --bundle DIR        bundle directory to write config.json into (default: current directory)
      --rootfs-tar FILE   unpack FILE (a plain or gzipped tar, e.g. from \`docker export\`) into
                          DIR/rootfs, which must be missing or empty
      --rootless          generate a spec for a rootless container (runc's changes: a user
                          namespace mapping your uid/gid to 0, no network namespace, /sys
                          bound from the host, no linux.resources)
  -h, --help              show this help

The default spec runs "sh" with a terminal (process.terminal = true); edit config.json to set
it to false and change process.args to run a command without one.
`;

/** Runs `tsrun spec`; `argv` holds the arguments after the verb. Returns the exit code. */
export async function specCommand(argv: string[]): Promise<number> {
  const unknown: string[] = [];
  const args = minimist(argv, {
    string: ['bundle', 'rootfs-tar'],
    boolean: ['rootless', 'help'],
    alias: { b: 'bundle', h: 'help' },
    unknown: (arg) => {
      if (arg.startsWith('-')) unknown.push(arg);
      return !arg.startsWith('-');
    },
  });
  if (args.help) {
    writeOut(USAGE);
    return 0;
  }
  // No "spec:" in the messages: the CLI already prints "tsrun spec: " before them (report.ts), and
  // the line read "tsrun spec: spec: ...". The words are runc's (urfave/cli's "flag provided but
  // not defined", runc's checkArgs "requires exactly 0 argument(s)"), as args.ts words the other verbs'.
  if (unknown.length > 0) throw new UsageError(`flag provided but not defined: ${unknown[0]}`);
  if (args._.length > 0) throw new UsageError('"tsrun spec" requires exactly 0 argument(s)');
  const bundle = path.resolve(flagValue(args.bundle, 'bundle') ?? '.');
  const rootfsTar = flagValue(args['rootfs-tar'], 'rootfs-tar');

  await checkBundleDir(bundle);
  const configPath = path.join(bundle, 'config.json');
  // runc refuses to overwrite an existing config (runc spec.go checkNoFile); same message.
  if (await exists(configPath)) throw new RuntimeError('config-exists', 'File config.json exists. Remove it first');

  // runc maps the caller's effective ids (ToRootless: os.Geteuid(), os.Getegid()).
  const spec = args.rootless ? toRootless(defaultSpec(), process.geteuid?.() ?? 0, process.getegid?.() ?? 0) : defaultSpec();
  if (rootfsTar !== undefined) {
    // The default spec's root.path is "rootfs", relative to the bundle (config.md "root").
    const { unpackRootfsTar } = await import('../../spec/rootfs-tar');
    await unpackRootfsTar(rootfsTar, path.join(bundle, 'rootfs'), (msg) => writeErr(`tsrun spec: skipped: ${msg}\n`));
  }
  // Tab indentation and no trailing newline, as runc writes it (json.MarshalIndent(spec, "", "\t")).
  // 'wx' fails if config.json appeared meanwhile rather than overwriting it.
  try {
    await fsp.writeFile(configPath, JSON.stringify(spec, null, '\t'), { flag: 'wx', mode: 0o666 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RuntimeError('config-exists', 'File config.json exists. Remove it first');
    }
    throw new RuntimeError('spec', `cannot write ${configPath}: ${fsReason(err)}`, { cause: err });
  }
  return 0;
}

/** A string flag: minimist gives an array when it is repeated and '' when its value is missing. */
function flagValue(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError(`--${name} given more than once`);
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} needs a value`);
  return value;
}

async function checkBundleDir(bundle: string): Promise<void> {
  let st;
  try {
    st = await fsp.stat(bundle);
  } catch (err) {
    throw new RuntimeError('spec', `bundle directory ${bundle}: ${fsReason(err)}`, { cause: err });
  }
  if (!st.isDirectory()) throw new RuntimeError('spec', `bundle ${bundle} is not a directory`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new RuntimeError('spec', `cannot check ${file}: ${fsReason(err)}`, { cause: err });
  }
}

/**
 * The reason of a failed fs call without Node's decoration: "no such file or directory" rather
 * than "ENOENT: no such file or directory, stat '/x'" (the path is already in our message, as in
 * runc's "chdir /x: no such file or directory").
 */
function fsReason(err: unknown): string {
  const msg = (err as Error).message;
  return /^E[A-Z0-9]+: ([^,]+),/.exec(msg)?.[1] ?? msg;
}
