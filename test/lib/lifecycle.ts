// Container lifecycles driven through the CLI without blocking the event loop, for the tests that
// run many of them, one after another or all at once (test/integration/concurrency.test.ts,
// test/reliability/).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { delay, isAlive, tsrunSpawn } from './harness';

export interface Done {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output and resolves on its 'exit'. */
function finish(p: ChildProcess): Promise<Done> {
  let stdout = '';
  let stderr = '';
  p.stdout?.on('data', (d) => (stdout += d));
  p.stderr?.on('data', (d) => (stderr += d));
  // 'exit', not 'close': a created container keeps create's stdout and stderr open. setImmediate
  // lets the data already read arrive first.
  return new Promise((resolve) => p.on('exit', (status, signal) => setImmediate(() => resolve({ status, signal, stdout, stderr }))));
}

/**
 * `tsrun --root ROOT ...args`, without waiting synchronously. stdout is dropped (a container
 * created by this call writes its own output there), stderr is collected.
 */
export function cli(root: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Done> {
  return finish(tsrunSpawn(root, args, ['ignore', 'ignore', 'pipe'], env));
}

/** Resolves when `pid` is no longer alive (a zombie counts as gone); false after `timeoutMs`. */
async function waitExit(pid: number, timeoutMs = 30_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > end) return false;
    await delay(5);
  }
  return true;
}

/**
 * One lifecycle of a container: create, start, then either
 *   'exit': wait until its process has exited on its own and `delete` it (it must be stopped), or
 *   'kill': `kill KILL` and `delete --force` it (the process may still be dying).
 * Returns undefined on success, else the verb that failed and its error line.
 */
export async function lifecycle(root: string, bundle: string, id: string, end: 'exit' | 'kill'): Promise<string | undefined> {
  const pidFile = path.join(os.tmpdir(), `tsrun-pid-${id}`);
  try {
    const c = await cli(root, ['create', '-b', bundle, ...(end === 'exit' ? ['--pid-file', pidFile] : []), id]);
    if (c.status !== 0) return `create ${id}: ${c.stderr.trim()}`;
    const s = await cli(root, ['start', id]);
    if (s.status !== 0) return `start ${id}: ${s.stderr.trim()}`;
    if (end === 'kill') {
      const k = await cli(root, ['kill', id, 'KILL']);
      if (k.status !== 0) return `kill ${id}: ${k.stderr.trim()}`;
      // The process may still be dying: delete --force waits for it, as a manager's delete would.
      const d = await cli(root, ['delete', '--force', id]);
      if (d.status !== 0) return `delete --force ${id}: ${d.stderr.trim()}`;
      return undefined;
    }
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    if (!(await waitExit(pid))) return `${id}: process ${pid} did not exit`;
    const d = await cli(root, ['delete', id]);
    if (d.status !== 0) return `delete ${id}: ${d.stderr.trim()}`;
    return undefined;
  } finally {
    fs.rmSync(pidFile, { force: true });
  }
}
