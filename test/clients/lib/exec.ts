// Running client commands (ctr, podman, docker) from the client tests: always with a timeout, so a
// hung client fails its check instead of the suite; stdout/stderr through temp files (a detached
// container or a daemon's children may inherit them, and spawnSync would wait for every holder of
// a pipe, see test/lib/harness.ts tsrun()); an environment without tap's NODE_OPTIONS hook, which
// would otherwise reach tsrun (a Node program) through the daemons and write .tap files into
// container root filesystems.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The command line, for assertion messages. */
  cmd: string;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
}

/** Default bound of one client call: generous for a loaded machine, short enough for tap's 120 s per file. */
export const CALL_TIMEOUT_MS = 30_000;

/** process.env without tap's hooks (NODE_OPTIONS, TAP_*), for every client and daemon. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('TAP') || k.startsWith('_TAPJS')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs `file args...` to completion (or kills it with SIGKILL at the timeout). */
export function run(file: string, args: string[], opts: RunOptions = {}): RunResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsclients-out-'));
  const outFd = fs.openSync(path.join(dir, 'out'), 'w+');
  const errFd = fs.openSync(path.join(dir, 'err'), 'w+');
  const cmd = [file, ...args].map(shellQuote).join(' ');
  try {
    const r = spawnSync(file, args, {
      cwd: opts.cwd,
      input: opts.input,
      timeout: opts.timeoutMs ?? CALL_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      env: opts.env ?? cleanEnv(),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', outFd, errFd],
    });
    const stdout = fs.readFileSync(path.join(dir, 'out'), 'utf8');
    let stderr = fs.readFileSync(path.join(dir, 'err'), 'utf8');
    if (r.error) stderr += `\n[${(r.error as NodeJS.ErrnoException).code ?? r.error.message}: ${cmd}]`;
    return { status: r.status, signal: r.signal, stdout, stderr, cmd };
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a command line under a pseudo-terminal: `script -qec CMD /dev/null` (util-linux script(1):
 * -q quiet, -e return the child's exit status, -c the command, /dev/null the typescript file).
 * `ctr ... -t` and `docker run -t` need their own stdin to be a terminal (they put it in raw mode);
 * the container's terminal output comes back on script's stdout with CRLF line ends.
 */
export function runInTerminal(argv: string[], opts: RunOptions = {}): RunResult {
  return run('script', ['-qec', argv.map(shellQuote).join(' '), '/dev/null'], { ...opts, input: opts.input ?? '' });
}

/** Single-quotes an argument for sh when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A one-line summary of a result for assertion messages. */
export function describe(r: RunResult): string {
  const tail = (s: string) => lf(s).trim().split('\n').slice(-3).join(' | ');
  const err = tail(r.stderr);
  // Under script(1) (runInTerminal) the client's errors come back on stdout, through the pty.
  const out = err === '' && r.status !== 0 ? tail(r.stdout) : '';
  return `${r.cmd} -> status ${r.status}${r.signal ? ` signal ${r.signal}` : ''}${err ? `; stderr: ${err}` : ''}${out ? `; output: ${out}` : ''}`;
}

/** Terminal output with CR LF turned back into LF (each pty on the way, the container's and script's, adds a CR: onlcr); NULs dropped (script(1) writes one when its stdin ends). */
export function lf(s: string): string {
  return s.replace(/\0/g, "").replace(/\r+\n/g, "\n");
}
