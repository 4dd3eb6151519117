// The state store: `<root>/<id>/` holds state.json (written atomically: temp file + rename, so a
// reader never sees half a document), the exec fifo, and a lock file. Nothing here spawns or
// signals; status is derived from facts in status.ts, never trusted from disk.
import fs = require('node:fs');
import path = require('node:path');
import { RuntimeError, StateError, UsageError } from '../errors';
import { runningInUserNs } from '../linux/userns';
import type { CgroupPaths } from '../cgroups/types';
import type { ContainerStatus, Hooks, LinuxResources, Process } from '../spec/types';
import type { InitSeccomp } from '../security/seccomp';

export const DEFAULT_ROOT = '/run/tsrun';

/**
 * The state root without --root: /run/tsrun for root; $XDG_RUNTIME_DIR/tsrun for anyone else who
 * has one (the user's own runtime directory, pam_systemd's /run/user/<uid>), as runc uses
 * $XDG_RUNTIME_DIR/runc for a non-root caller, and for root of a user namespace other than the
 * initial one (rootless podman runs its runtime so, with no --root). Without XDG_RUNTIME_DIR it
 * is /run/tsrun, and the error of the first write there.
 */
export function defaultRoot(euid = process.geteuid?.() ?? 0, env: NodeJS.ProcessEnv = process.env, inUserNs = runningInUserNs): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && (euid !== 0 || inUserNs())) return path.join(xdg, 'tsrun');
  return DEFAULT_ROOT;
}
const STATE_FILE = 'state.json';
export const FIFO_NAME = 'exec.fifo';

/** Everything tsrun remembers about one container between commands. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  /** Host pid of the container's init (0 before the init stage exists). */
  pid: number;
  bundle: string;
  rootfs: string;
  /** ISO time of create, as runc's `created`. */
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** Start time (clock ticks since boot, /proc/<pid>/stat field 22) of `pid`: tells our process from a later one reusing the pid. */
  startTime: number;
  /** The status the last writer saw; `status.ts` re-derives it from facts on every read. */
  lastStatus: Exclude<ContainerStatus, 'paused'>;
  cgroup?: CgroupPaths;
  /** linux.resources as applied (create, then every `update` merged over it). */
  resources?: LinuxResources;
  /** Whether the container has its own PID namespace (decides how `kill --all` and `delete` find processes). */
  ownPidNamespace: boolean;
  /**
   * false when config.json had no mount namespace: the container shares the runtime's mount table
   * and its root is a chroot, so `exec` must chroot into the init's root too (absent in records of
   * older tsrun versions, which always had one).
   */
  ownMountNamespace?: boolean;
  /** config.json as it was at create: the spec says later edits have no effect. Only fields later verbs need. */
  config: StoredConfig;
}

/** The parts of config.json (and of create's flags) that later verbs use, as they were at create. */
export interface StoredConfig {
  /** Run by start (startContainer wait, poststart), delete and run (poststop). */
  hooks?: Hooks;
  /** exec starts from it (env, cwd, user, capabilities...); start refuses a container without one. */
  process?: Process;
  /** exec loads the same filter into the process it starts. */
  seccomp?: InitSeccomp;
  /** false after create --no-new-keyring: exec joins no new session keyring either. */
  newKeyring?: boolean;
}

// runc's id rule (libcontainer/factory_linux.go validateID): letters, digits, _ + - . only, and
// never "." or ".." (they would name the state root itself or its parent).
const ID_RE = /^[\w+\-.]+$/;
const MAX_ID_LENGTH = 1024;

export function checkId(id: unknown): string {
  if (typeof id !== 'string' || id === '') throw new UsageError('container id cannot be empty');
  if (id.length > MAX_ID_LENGTH) throw new UsageError(`invalid container id: longer than ${MAX_ID_LENGTH} characters`);
  if (id === '.' || id === '..' || !ID_RE.test(id)) throw new UsageError(`invalid container id format: ${id}`);
  return id;
}

export function containerDir(root: string, id: string): string {
  return path.join(root, checkId(id));
}

/** runc's ErrNotExist text, for a container id with no record. */
export function notFound(id: string): StateError {
  return new StateError(`container "${id}" does not exist`, 'not-found');
}

/** Reads a container's record; a missing container is runc's `container "x" does not exist`. */
export function readRecord(root: string, id: string): ContainerRecord {
  const file = path.join(containerDir(root, id), STATE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw notFound(id);
    }
    throw new RuntimeError('state', `read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as ContainerRecord;
  } catch {
    throw new RuntimeError('state', `${file}: state file is corrupt`);
  }
}

export function tryReadRecord(root: string, id: string): ContainerRecord | undefined {
  try {
    return readRecord(root, id);
  } catch (e) {
    if (e instanceof StateError) return undefined;
    throw e;
  }
}

/**
 * Atomic replace: write a temp file in the same dir, rename it over state.json, so a reader sees
 * the old document or the new one, never half of one. No fsync: runc does none either, and the
 * state root lives on tmpfs (/run), where fsync buys nothing; a crash loses the containers along
 * with their state. It cost about 3 ms per write (create and run write twice).
 */
export function writeRecord(root: string, rec: ContainerRecord): void {
  const dir = containerDir(root, rec.id);
  const tmp = path.join(dir, `.${STATE_FILE}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
  fs.renameSync(tmp, path.join(dir, STATE_FILE));
}

/** Makes `<root>/<id>/`; fails if the id is taken (runc: `container with id exists: x`). */
export function makeContainerDir(root: string, id: string): string {
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = containerDir(root, id);
  try {
    // 0711 like runc: a non-root container user may reach the fifo through the dir but not list it.
    fs.mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new StateError(`container with id exists: ${id}`, 'exists');
    }
    throw new RuntimeError('state', `mkdir ${dir}: ${(e as Error).message}`);
  }
  return dir;
}

export function removeContainerDir(root: string, id: string): void {
  fs.rmSync(containerDir(root, id), { recursive: true, force: true });
}

/** Ids of every container under root (directories whose name is a valid id). */
export function listIds(root: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new RuntimeError('state', `read ${root}: ${(e as Error).message}`);
  }
  return names.filter((n) => ID_RE.test(n) && n !== '.' && n !== '..').sort();
}
