// `create`: build the container from the bundle and leave its init stage waiting on the exec
// fifo (runtime.md "create"). Either the container is fully created, or nothing is left: no state
// dir, cgroup, process or mount (mounts live only in the init stage's mount namespace, so killing
// it removes them).
import fs = require('node:fs');
import path = require('node:path');
import os = require('node:os');
import * as libc from '../sys/libc';
import { loadBundleConfig } from '../spec/load';
import { convertSpec } from '../spec/convert';
import { cgroupManagerFor, type CgroupManager } from '../cgroups/manager';
import type { CgroupPaths } from '../cgroups/types';
import { hostCgroupLayout } from '../cgroups/detect';
import { cgroupMountPlan } from '../launcher/parent/cgroup-plan';
import { launchInit, type InitHandle, type StdioEntry } from '../launcher/parent/parent';
import { planJoin, type JoinPlan } from './cgroup-join';
import { checkId, FIFO_NAME, makeContainerDir, removeContainerDir, writeRecord, type ContainerRecord } from '../state/store';
import { readProcStat } from '../state/status';
import { lockContainer } from '../state/lock';
import { waitGone } from './cleanup';
import type { ChildProcess } from 'node:child_process';
import { RuntimeError } from '../errors';
import { connectUnix, recvFd, socketPair } from '../sys/unix-socket';
import { baseStateOf, initHooksFor, isHookFailure, runPoststopHooks, runRuntimeCreateHooks } from '../hooks/phases';
import { log } from '../log';
import type { GlobalOptions } from './context';
import { writePidFile } from '../state/pid-file';
import { checkTerminal, requireOwnTerminal } from './terminal-rules';
import { trace } from '../trace';
import { checkRootless, hostFacts, rootlessCaller } from '../spec/rootless';
import { mountedCgroups, rootlessCgroup } from './rootless-cgroup';
import { reached } from '../step-hook';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  noPivot: boolean;
  preserveFds: number;
  /** --no-new-keyring: keep the caller's session keyring (runc's flag). */
  noNewKeyring?: boolean;
  /** --console-socket: where the pty master goes when process.terminal is set. */
  consoleSocket?: string;
  /** `run` without --detach: tsrun itself stays and relays the terminal (no console socket). */
  foreground?: boolean;
  /** The container's fds 0-2 without a terminal (launchInit's `stdio`); default: ours. */
  stdio?: StdioEntry[];
  /**
   * An in-process caller (the containerd shim, through src/api.ts) takes the pty master itself,
   * as `run` does for its relay, over a socket pair instead of a --console-socket of its own.
   */
  ptyToCaller?: boolean;
}

export interface Created {
  record: ContainerRecord;
  handle: InitHandle;
  /** undefined for a rootless container without a cgroup of its own (cgroups/rootless.ts). */
  cgroup?: CgroupManager;
  /** Foreground (or ptyToCaller) with process.terminal: the pty master, for the caller to relay and close. */
  ptyMaster?: number;
}

function closeFd(fd: number | undefined): void {
  if (fd !== undefined) libc.close(fd);
}

/** The socket the init stage sends the pty master on, and ours to receive it (foreground). */
function consoleChannel(o: CreateOptions): { give: number; keep?: number } {
  if (o.consoleSocket !== undefined) return { give: connectUnix(o.consoleSocket) };
  const [keep, give] = socketPair();
  return { give, keep };
}

function writeOomScoreAdj(pid: number, value: number | undefined): void {
  if (value === undefined) return;
  try {
    fs.writeFileSync(`/proc/${pid}/oom_score_adj`, String(value));
  } catch (e) {
    throw new RuntimeError('oom-score-adj', `write /proc/${pid}/oom_score_adj (${value}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * The record stored before cg.create() runs lists the directories it is about to make (those
 * missing now), so that a `tsrun create` killed in the middle of the mkdirs, before the record
 * with the real list is written, still leaves `delete --force` what to remove. Destroy skips the
 * ones that never got made and keeps a shared parent another container uses. (Found by the
 * SIGKILL test of test/integration/faults.test.ts: cgroup dirs were left behind.)
 */
function withPlannedDirs(p: CgroupPaths): CgroupPaths {
  const planned = new Set(p.createdDirs);
  for (const dir of Object.values(p.paths)) {
    for (let d = dir; d !== path.dirname(d) && !fs.existsSync(d); d = path.dirname(d)) planned.add(d);
  }
  return { ...p, createdDirs: [...planned] };
}

/**
 * Creates the container and returns with the init stage `ready` and state persisted; the caller
 * sends `go` (create: and returns; run: and starts it). Any failure tears down what was made.
 */
export async function createContainer(g: GlobalOptions, o: CreateOptions): Promise<Created> {
  checkId(o.id);
  const { spec, bundle, rootfs } = loadBundleConfig(o.bundle);
  const terminal = spec.process?.terminal ?? false;
  checkTerminal(terminal, !(o.foreground || o.ptyToCaller), o.consoleSocket);
  if (terminal && o.foreground && o.consoleSocket === undefined) requireOwnTerminal();
  // Not root: what the config needs for that is checked first, so a config that cannot be
  // honoured is refused by field, before anything is made (src/spec/rootless.ts).
  const caller = rootlessCaller();
  const rootless = caller ? checkRootless(spec, caller, hostFacts()) : undefined;
  const conv = convertSpec(spec, o.id, bundle, rootfs, undefined, caller?.inUserNs);
  if (rootless && conv.init.process) conv.init.process.setgroupsDenied = rootless.setgroupsDenied;
  trace('config validated and converted');
  const { cg, resources } = caller ? rootlessCgroup(spec, o.id, caller) : {
    cg: cgroupManagerFor({ cgroupsPath: spec.linux?.cgroupsPath, id: o.id }),
    // Devices are always written at create, even when the config has no rules: the cgroup starts
    // from deny-all plus the default devices, as runc does (an absent list is not "allow all").
    resources: { ...(spec.linux?.resources ?? {}), devices: spec.linux?.resources?.devices ?? [] },
  };

  // reached(): the points of the test-only step hook (src/step-hook.ts), inert in normal runs.
  reached('state-dir');
  const dir = makeContainerDir(g.root, o.id);
  reached('lock');
  // Held until create is done: a concurrent delete of this id waits instead of racing us.
  const unlock = lockContainer(g.root, o.id);
  const record: ContainerRecord = {
    ociVersion: spec.ociVersion,
    id: o.id,
    pid: 0,
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: os.userInfo().username,
    annotations: spec.annotations,
    startTime: 0,
    lastStatus: 'creating',
    ownPidNamespace: conv.ownPidNamespace,
    ownMountNamespace: conv.init.ownMountNs,
    cgroup: cg && withPlannedDirs(cg.paths()),
    // What `exec` needs later: the process to base a command line on, the container's seccomp
    // profile (runc applies it to exec'd processes too) and the keyring choice.
    config: { hooks: spec.hooks, process: spec.process, seccomp: conv.init.seccomp, newKeyring: !o.noNewKeyring },
    resources,
  };
  let handle: InitHandle | undefined;
  let child: ChildProcess | undefined;
  let cgroupMade = false;
  let join: JoinPlan = { early: [], late: [] };
  let consoleFds: { give?: number; keep?: number } | undefined;
  let ptyMaster: number | undefined;
  // A SIGINT/SIGTERM to `tsrun create` must still leave nothing behind (SIGKILL cannot be caught;
  // `delete --force` cleans that case from the record written below). The init stage is killed
  // and waited for first: its cgroup cannot be removed while it lives in it.
  const onSignal = (): void => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
      waitGone([child.pid], 5000);
    }
    teardown();
    process.exit(1);
  };
  const teardown = (): void => {
    if (cgroupMade && cg) {
      try {
        cg.destroy();
      } catch (e) {
        log.warn(`remove cgroup: ${(e as Error).message}`);
      }
    }
    removeContainerDir(g.root, o.id);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Written first so that `delete --force` can clean up after a create killed at any point.
    reached('record');
    writeRecord(g.root, record);
    reached('fifo');
    libc.mkfifo(path.join(dir, FIFO_NAME), 0o622);
    // mkfifo(3) honours the umask (0622 became 0600): a container whose process.user is not root
    // reopens the fifo for writing after the uid switch and got EACCES. runc clears the umask
    // around mkfifo for the same reason (found by test/integration/process.test.ts).
    fs.chmodSync(path.join(dir, FIFO_NAME), 0o622);
    const needsCgroupMount = conv.init.mounts.some((m) => m.type === 'cgroup');
    // Connected before the spawn, as runc does: a console socket nobody listens on fails create
    // before there is a process (runc passes the connection to its init as an extra file).
    if (terminal) consoleFds = consoleChannel(o);
    handle = await launchInit({
      early: g.early,
      consoleSocket: consoleFds?.give,
      stdio: o.stdio,
      init: {
        ...conv.init,
        fifoPath: path.join(dir, FIFO_NAME),
        preserveFds: o.preserveFds,
        noPivot: o.noPivot,
        newKeyring: !o.noNewKeyring,
        cgroupMount: needsCgroupMount ? cgroupMountPlan(hostCgroupLayout(), mountedCgroups(cg, caller)) : undefined,
        hooks: initHooksFor(spec.hooks, baseStateOf(record)),
      },
      // prestart + createRuntime, in our (runtime) namespaces, while the init stage waits before
      // pivot_root; the state's pid is the init stage's host pid (runtime.md State).
      onHooks: (phases) => runRuntimeCreateHooks(spec.hooks, baseStateOf(record), record.pid, phases),
      nsRequests: conv.nsRequests,
      timeOffsets: conv.timeOffsets,
      // Not root of the initial user namespace: the window could not setns back (ns-window.ts).
      viaTrampoline: caller !== undefined,
      onWarning: (m) => log.warn(m),
      onSpawn: (c) => {
        child = c;
        trace('namespace window closed, init stage spawned');
      },
      // While the stage boots Node: the cgroup dirs, and the join of those that can take the
      // stage before its boot (cgroup-join.ts: whose charges land where, and when). The record
      // written before the spawn already lists the dirs about to be made.
      onBoot: (pid) => {
        record.pid = pid;
        record.startTime = readProcStat(pid)?.startTime ?? 0;
        if (!cg) return;
        reached('cgroup');
        cg.create();
        cgroupMade = true;
        record.cgroup = cg.paths();
        reached('cgroup-record');
        writeRecord(g.root, record);
        join = planJoin(cg, resources);
        reached('cgroup-apply');
        cg.apply(pid, join.early);
        trace('cgroup made, the controllers that can take the booting stage joined');
      },
      onHello: (pid) => {
        trace('init stage said hello');
        // All of the cgroup before the init stage builds anything, and before its cgroup namespace
        // exists (the namespace root is the cgroup it is in when it unshares). Limits only now,
        // after the join and the boot: tiny ones (pids.limit 1, 8 MiB of memory) must not stop
        // the stage's Node from starting (cgroup-join.ts).
        if (cg) {
          if (join.late.length > 0) cg.apply(pid, join.late);
          reached('cgroup-set');
          cg.set(resources, (m) => log.warn(m));
        }
        reached('oom-score-adj');
        writeOomScoreAdj(pid, spec.process?.oomScoreAdj);
        trace('init stage in its cgroup (cgroup.procs), limits set');
      },
    });
    trace('init stage ready (mounts, pivot_root, paths, identity done)');
    if (consoleFds) {
      // Only the init stage may hold the sending end now: if it failed to send, recvFd sees EOF
      // instead of waiting on our own copy.
      closeFd(consoleFds.give);
      consoleFds.give = undefined;
      // The init stage sent the master before `ready`: it waits in the socket buffer.
      if (consoleFds.keep !== undefined) ptyMaster = recvFd(consoleFds.keep).fd;
    }
    record.lastStatus = 'created';
    reached('created');
    writeRecord(g.root, record);
    reached('pid-file');
    if (o.pidFile) writePidFile(o.pidFile, record.pid);
    trace('created');
    return { record, handle, cgroup: cg, ptyMaster };
  } catch (e) {
    closeFd(ptyMaster);
    await handle?.kill();
    teardown();
    // runtime.md Lifecycle 3-5: a failed prestart/createRuntime/createContainer hook stops the
    // container and continues at step 12 (destroy, done above) and 13: the poststop hooks.
    if (isHookFailure(e)) runPoststopHooks(spec.hooks, baseStateOf(record), (m) => log.warn(m));
    throw e;
  } finally {
    // The init stage has its own copy (or is gone); ours must not outlive create.
    closeFd(consoleFds?.give);
    closeFd(consoleFds?.keep);
    unlock();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
