// The namespace window (docs/ARCHITECTURE.md section 1): on the parent's main thread, enter the
// container's namespaces (unshare new ones, setns into joined ones), spawn the init stage so it is
// born inside them, then restore the parent's own namespaces. All synchronous, with a `finally`
// that always restores: libuv's pool threads stay in the host namespaces, and nothing else may be
// spawned while the main thread is inside.
import type { Sys } from '../../sys/sys';
import { CLONE_FS, CLONE_NEWTIME, O } from '../../sys/constants';
import { RuntimeError, SyscallError } from '../../errors';
import { NAMESPACE_TABLE, type NamespaceType } from '../../linux/namespace-table';
import type { NsRequest, TimeOffsets } from '../../stage-config/namespaces';

const NS_FLAG = (t: NamespaceType): number => NAMESPACE_TABLE[t].flag;
// setns into the mount namespace last: it resets the thread's root and cwd, and later setns
// paths must still resolve in the host view (setns(2)).
const ORDER: NamespaceType[] = ['pid', 'time', 'cgroup', 'network', 'ipc', 'uts', 'mount'];

// The threads behind these Sys objects have a private fs_struct already (one: the parent's main
// thread, through libcSys; a fake per unit test).
const fsUnshared = new WeakSet<Sys>();

/**
 * Does the config need the single-threaded trampoline (trampoline.ts) instead of this window? A
 * user namespace (new or joined), and a joined time namespace: unshare(2)/setns(2) refuse a
 * multi-threaded caller for those (EINVAL, EUSERS), and a Node process is always one.
 */
export function needsTrampoline(requests: NsRequest[]): boolean {
  return requests.some((r) => r.type === 'user' || (r.type === 'time' && r.path !== undefined));
}

function openNs(sys: Sys, path: string): number {
  try {
    return sys.open(path, O.RDONLY | O.CLOEXEC);
  } catch (e) {
    throw new RuntimeError('namespace', `open namespace ${path}: ${e instanceof SyscallError ? e.errnoCode : (e as Error).message}`);
  }
}

/**
 * Runs `spawn` with the main thread inside the requested namespaces and returns its result.
 * A joined namespace of the wrong type fails in setns(2) with EINVAL; that is how a `path`
 * "of that type" is checked (config-linux.md "Namespaces").
 */
export function withNamespaces<T>(sys: Sys, requests: NsRequest[], timeOffsets: TimeOffsets | undefined, spawn: () => T): T {
  // A user namespace, and a joined time namespace, need a single-threaded caller: the trampoline
  // (trampoline.ts) handles configs with either, and they must never get here.
  if (needsTrampoline(requests)) throw new RuntimeError('namespace', 'a user namespace cannot be entered from the namespace window (internal)');
  // A non-root caller could unshare nothing here, and then not setns back either (EPERM: the
  // "cannot restore" exit below). Its containers go through the trampoline (a user namespace is
  // required, src/spec/rootless.ts); anything else reaching here is refused before it starts.
  if (requests.length > 0 && (process.geteuid?.() ?? 0) !== 0) {
    throw new RuntimeError('namespace', `namespaces outside a user namespace need root (tsrun runs as uid ${process.geteuid?.()})`);
  }
  if (!fsUnshared.has(sys)) {
    // setns(2) into a mount namespace needs a private fs_struct (EINVAL otherwise); libuv threads
    // share ours, so give the main thread its own once.
    sys.unshare(CLONE_FS);
    fsUnshared.add(sys);
  }
  const sorted = [...requests].sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
  const saved = new Map<NamespaceType, number>();
  const joinFds: number[] = [];
  const cwd = process.cwd();
  try {
    // Open everything first, in the host view: the current namespaces (to restore) and the paths.
    for (const r of sorted) {
      // setns(2) into a time namespace needs a single-threaded caller (EUSERS otherwise), so the
      // parent cannot switch its time_for_children back. It does not need to: unshare only
      // changes what *children* get, and the parent spawns nothing after the init stage.
      if (r.type === 'time') continue;
      // /proc/<pid>/ns/<name>: for pid, what a spawn inherits is pid_for_children.
      const name = r.type === 'pid' ? `${NAMESPACE_TABLE.pid.proc}_for_children` : NAMESPACE_TABLE[r.type].proc;
      saved.set(r.type, openNs(sys, `/proc/thread-self/ns/${name}`));
    }
    const plan = sorted.map((r) => {
      return { r, fd: r.path ? openNs(sys, r.path) : -1 };
    });
    for (const p of plan) if (p.fd >= 0) joinFds.push(p.fd);

    const newFlags = plan.filter((p) => p.fd < 0).reduce((acc, p) => acc | NS_FLAG(p.r.type), 0);
    for (const p of plan) {
      if (p.fd >= 0) {
        try {
          sys.setns(p.fd, NS_FLAG(p.r.type), p.r.path);
        } catch (e) {
          if (e instanceof SyscallError && e.errnoCode === 'EINVAL') {
            throw new RuntimeError('namespace', `${p.r.path} is not a ${p.r.type} namespace (or cannot be joined)`);
          }
          throw e;
        }
      }
    }
    if (newFlags) sys.unshare(newFlags);
    // time_namespaces(7): offsets can be written only before the first process enters the namespace.
    if (timeOffsets && newFlags & CLONE_NEWTIME) writeTimeOffsets(sys, timeOffsets);
    return spawn();
  } finally {
    // Restore in reverse order of entry (mount first); every fd was opened before we left.
    const restoreOrder = [...saved.keys()].sort((a, b) => ORDER.indexOf(b) - ORDER.indexOf(a));
    const failures: string[] = [];
    for (const t of restoreOrder) {
      try {
        sys.setns(saved.get(t) as number, NS_FLAG(t));
      } catch (e) {
        failures.push(`${t}: ${(e as Error).message}`);
      }
      sys.close(saved.get(t) as number);
    }
    for (const fd of joinFds) sys.close(fd);
    // setns into a mount namespace resets cwd to "/"; put ours back.
    try {
      sys.chdir(cwd);
    } catch {
      // the cwd may not exist in the host view any more; absolute paths are used from here on
    }
    if (failures.length) {
      // The parent is now in a half-container state; it must not go on doing anything.
      process.stderr.write(`tsrun: fatal: cannot restore namespaces: ${failures.join('; ')}\n`);
      process.exit(2);
    }
  }
}

function writeTimeOffsets(sys: Sys, o: TimeOffsets): void {
  const lines: string[] = [];
  if (o.monotonic) lines.push(`monotonic ${o.monotonic.secs} ${o.monotonic.nanosecs}`);
  if (o.boottime) lines.push(`boottime ${o.boottime.secs} ${o.boottime.nanosecs}`);
  // /proc/self is the thread-group leader, which is this (main) thread; the file exists only there.
  // One write per clock: the kernel parses one line per write call.
  for (const l of lines) {
    try {
      sys.writeFile('/proc/self/timens_offsets', l);
    } catch (e) {
      throw new RuntimeError('namespace', `write /proc/self/timens_offsets "${l}": ${e instanceof SyscallError ? e.errnoCode : (e as Error).message}`);
    }
  }
}
