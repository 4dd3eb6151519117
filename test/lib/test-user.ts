// A real non-root user for the rootless tests (test/integration/rootless.test.ts, the rootless
// podman case of test/clients/podman.test.ts): made with useradd, which gives it a range in
// /etc/subuid and /etc/subgid (login.defs SUB_UID_MIN...), with a home and an XDG_RUNTIME_DIR of
// its own under /run/tsrun-test-* (the leak checks know that prefix), and removed with
// everything it made (userdel drops its sub-id lines too). Commands run as it through runuser(1).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Result } from './harness';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** Its XDG_RUNTIME_DIR (mode 0700, its own), as pam_systemd would make /run/user/<uid>. */
  xdg: string;
  /** Its first /etc/subuid and /etc/subgid ranges, when useradd gave it some. */
  subuid?: { start: number; count: number };
  subgid?: { start: number; count: number };
}

function subRange(file: string, name: string): { start: number; count: number } | undefined {
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, start, count] = line.split(':').map(Number);
  return { start, count };
}

/** Why a test user cannot be made or used here, or false. Needs root, useradd, runuser. */
export function testUserSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (to make a user)';
  for (const tool of ['useradd', 'userdel', 'runuser']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return false;
}

/** Makes the user (name from `prefix` and our pid). Remove it with removeTestUser. */
export function makeTestUser(prefix: string): TestUser {
  const name = `${prefix}${process.pid}`.slice(0, 31);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-home-'));
  const r = spawnSync('useradd', ['-M', '-d', home, '-s', '/bin/sh', name], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(home, { recursive: true, force: true });
    throw new Error(`useradd ${name}: ${r.stderr.trim()}`);
  }
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  const xdg = fs.mkdtempSync('/run/tsrun-test-xdg-');
  for (const d of [home, xdg]) {
    fs.chownSync(d, uid, gid);
    fs.chmodSync(d, 0o700);
  }
  return { name, uid, gid, home, xdg, subuid: subRange('/etc/subuid', name), subgid: subRange('/etc/subgid', name) };
}

/**
 * Kills what is left of the user's processes (by its uid and its sub-id range, read from
 * /proc/<pid>/status, so only what this user made), then userdel and its directories.
 */
export function removeTestUser(u: TestUser): void {
  const ids = (v: number) => v === u.uid || (u.subuid !== undefined && v >= u.subuid.start && v < u.subuid.start + u.subuid.count);
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      const real = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      if (ids(real)) process.kill(Number(p), 'SIGKILL');
    } catch {
      // gone
    }
  }
  spawnSync('userdel', [u.name], { encoding: 'utf8' });
  for (const d of [u.home, u.xdg]) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * Runs `argv` as the user, through runuser(1), with its XDG_RUNTIME_DIR and HOME, a plain PATH and
 * no NODE_OPTIONS (tap's hooks must not reach tsrun: see harness.ts). stdout and stderr go
 * through files, as harness.ts tsrun() does: a detached container keeps them open. `before`:
 * a shell command run as root first, in the same process (it can move that process to a cgroup).
 */
export function asUser(u: TestUser, argv: string[], opts: { cwd?: string; env?: Record<string, string>; before?: string; timeoutMs?: number } = {}): Result {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-out-'));
  const outFd = fs.openSync(path.join(dir, 'out'), 'w+');
  const errFd = fs.openSync(path.join(dir, 'err'), 'w+');
  const env = [`HOME=${u.home}`, `XDG_RUNTIME_DIR=${u.xdg}`, 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const cmd = ['runuser', '-u', u.name, '--', '/usr/bin/env', '-i', ...env, ...argv];
  try {
    const r = opts.before
      ? spawnSync('sh', ['-c', `${opts.before} && exec "$@"`, 'sh', ...cmd], { cwd: opts.cwd, stdio: ['ignore', outFd, errFd], timeout: opts.timeoutMs ?? 60_000 })
      : spawnSync(cmd[0], cmd.slice(1), { cwd: opts.cwd, stdio: ['ignore', outFd, errFd], timeout: opts.timeoutMs ?? 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, signal: r.signal, stdout: fs.readFileSync(path.join(dir, 'out'), 'utf8'), stderr: fs.readFileSync(path.join(dir, 'err'), 'utf8') };
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Why `u` cannot make a user namespace here (unprivileged user namespaces off), or false. */
export function unprivilegedUsernsSkipReason(u: TestUser): string | false {
  const r = asUser(u, ['unshare', '--user', 'true']);
  if (r.status === 0) return false;
  return `unprivileged user namespaces are not available here (unshare --user as ${u.name}: ${r.stderr.trim() || `exit ${r.status}`}; see /proc/sys/kernel/unprivileged_userns_clone, /proc/sys/user/max_user_namespaces)`;
}
