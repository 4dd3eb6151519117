// Which OCI runtime the client tests hand to containerd, podman and dockerd, and the checks that
// decide whether the client tests can run at all.
//   TSRUN_CLIENT_RUNTIME=/path  the runtime binary (default: the repo's bin/tsrun); /usr/sbin/runc
//                               is the reference the tests were written against
//   TSRUN_CLIENT_ARGV_LOG=/file debug mode: the clients get a wrapper (argv-logger.sh) that appends
//                               each runtime invocation's argv and cwd to the file, then execs the
//                               real runtime
import fs from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const RUNTIME = process.env.TSRUN_CLIENT_RUNTIME || path.join(REPO, 'bin', 'tsrun');
export const ARGV_LOG = process.env.TSRUN_CLIENT_ARGV_LOG || '';
const ARGV_LOGGER = path.join(__dirname, 'argv-logger.sh');

/** Is RUNTIME this repo's tsrun (which then needs dist/ built)? */
export const runtimeIsTsrun = path.resolve(RUNTIME) === path.join(REPO, 'bin', 'tsrun');

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Reason to skip a client test file (the binaries it needs, root, the build), or false. */
export function clientSkipReason(binaries: string[]): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!executable(RUNTIME)) return `runtime ${RUNTIME} is not executable (TSRUN_CLIENT_RUNTIME)`;
  if (runtimeIsTsrun && !fs.existsSync(path.join(REPO, 'dist', 'tsrun.js'))) return 'run `npm run build` first';
  if (!fs.existsSync('/bin/busybox') && !fs.existsSync('/usr/bin/busybox')) return 'needs busybox-static (scripts/install-deps.sh)';
  const missing = binaries.filter((b) => !executable(b));
  if (missing.length > 0) return `missing ${missing.join(', ')} (scripts/install-deps.sh)`;
  if (!executable('/usr/bin/script')) return 'missing script(1) (util-linux)';
  return false;
}

/**
 * The runtime path to give a client. Normally RUNTIME itself; in argv-log mode a two-line wrapper
 * in `dir` with the log file and the real runtime baked in (conmon and containerd's shim do not
 * pass the test's environment on, so the wrapper cannot read them from env).
 */
export function runtimeForClient(dir: string): string {
  if (ARGV_LOG === '') return RUNTIME;
  const wrapper = path.join(dir, 'runtime-argv-logger');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${q(ARGV_LOGGER)} ${q(path.resolve(ARGV_LOG))} ${q(RUNTIME)} "$@"\n`, { mode: 0o755 });
  return wrapper;
}

/** Appends a marker line to the argv log (which check the following invocations belong to). */
export function argvLogMark(text: string): void {
  if (ARGV_LOG !== '') fs.appendFileSync(ARGV_LOG, `### ${text}\n`);
}
