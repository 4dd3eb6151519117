// containerd.task.v2.Task (containerd 1.6 runtime/v2/task/shim.proto) on top of tsrun's library
// API (src/api.ts): the same create/start/exec/kill/delete/pause/update code as the CLI, run in
// this process. Every method is served but Checkpoint (tsrun has no checkpoint/restore), which is
// answered UNIMPLEMENTED by name.
//
// The methods follow the runc shim (runtime/v2/runc/task/service.go) where containerd relies on
// its behaviour: an exec process is made by Exec and spawned by Start; Wait/State/Kill/Delete/
// ResizePty/CloseIO take an exec id; Delete of an exec sends no /tasks/delete (only the task's
// does); Kill of a process that has exited is NotFound. Events (/tasks/create, start, exit,
// exec-added, exec-started, paused, resumed, oom, delete) go out as that shim sends them, queued
// in order and never awaited by a request: the runc shim hands them to a goroutine too, so
// containerd being slow to take an event does not slow the task operation.
import fs = require('node:fs');
import net = require('node:net');
import type { Writable } from 'node:stream';
import path = require('node:path');
import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate, type Any } from '@bufbuild/protobuf/wkt';
import * as api from '../api';
import { log } from '../log';
import * as libc from '../sys/libc';
import type { Process } from '../spec/types';
import { Status } from './gen/github.com/containerd/containerd/api/types/task/task_pb';
import {
  TaskCreateSchema, TaskDeleteSchema, TaskExecAddedSchema, TaskExecStartedSchema, TaskExitSchema, TaskOOMSchema, TaskPausedSchema,
  TaskResumedSchema, TaskStartSchema,
} from './gen/github.com/containerd/containerd/api/events/task_pb';
import { ProcessDetailsSchema } from './gen/github.com/containerd/containerd/runtime/v2/runc/options/oci_pb';
import type * as pb from './gen/github.com/containerd/containerd/runtime/v2/task/shim_pb';
import type { EventPublisher } from './events';
import { readOptions } from './options';
import { mountRootfs, unmountRootfs } from './rootfs';
import { openStdio, type OpenedStdio, type TaskStdio } from './stdio';
import { relayConsole } from './console';
import { consoleIO, fifoIO, ShimExec, ShimTask, type ProcessIO, type TaskExit } from './task';
import { metricsAny } from './metrics';
import type { Reaper } from './reaper';
import type { OomWatcher } from './oom';
import { toTtrpcError } from './errors';
import { Code, TtrpcError } from './ttrpc/codes';
import type { ServiceImpl } from './ttrpc/server';

type Init<S extends DescMessage> = MessageInitShape<S>;

/** A file in the bundle telling the `delete` action (a new process) which state root was used. */
export const ROOT_FILE = 'tsrun-root';

/**
 * The JSON types containerd's typeurl gives the runtime-spec structs it sends in an Any
 * (typeurl.Register(&specs.Process{}, "opencontainers/runtime-spec", major, "Process") and
 * the same for LinuxResources, containerd 1.6 runtime/typeurl.go): JSON, not protobuf.
 */
const PROCESS_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
const RESOURCES_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

const STATUS: Record<string, Status> = {
  creating: Status.CREATED, created: Status.CREATED, running: Status.RUNNING, paused: Status.PAUSED, stopped: Status.STOPPED,
};

/** Wraps a handler so tsrun's errors reach containerd as ttrpc statuses. */
function mapped<A, R>(fn: (req: A) => Promise<R>): (req: A) => Promise<R> {
  return async (req) => {
    try {
      return await fn(req);
    } catch (e) {
      throw toTtrpcError(e);
    }
  };
}

function jsonAny(any: Any | undefined, typeUrl: string, what: string): unknown {
  if (!any) throw new TtrpcError(Code.INVALID_ARGUMENT, `${what}: missing`);
  if (any.typeUrl !== typeUrl) throw new TtrpcError(Code.INVALID_ARGUMENT, `${what}: type ${any.typeUrl} is not supported (only ${typeUrl})`);
  try {
    return JSON.parse(Buffer.from(any.value).toString('utf8'));
  } catch (e) {
    throw new TtrpcError(Code.INVALID_ARGUMENT, `${what}: not valid JSON: ${(e as Error).message}`);
  }
}

/** Opens a process's stdio: the fifos themselves, or (terminal) nothing yet: the relay comes with the master. */
function openFifos(s: TaskStdio, terminal: boolean): OpenedStdio | undefined {
  return terminal ? undefined : openStdio(s);
}

export interface TaskServiceDeps {
  namespace: string;
  events: EventPublisher;
  reaper: Reaper;
  oom: OomWatcher;
  onShutdown: () => void;
}

export class TaskService {
  readonly tasks = new Map<string, ShimTask>();

  constructor(private readonly d: TaskServiceDeps) {}

  private task(id: string): ShimTask {
    const t = this.tasks.get(id);
    if (!t) throw new TtrpcError(Code.NOT_FOUND, `container ${id}: not found`);
    return t;
  }

  private process(id: string, execId: string): ShimTask | ShimExec {
    const t = this.task(id);
    if (execId === '') return t;
    const e = t.execs.get(execId);
    // The runc shim's words (errdefs.ErrNotFound).
    if (!e) throw new TtrpcError(Code.NOT_FOUND, `process ${execId} does not exist`);
    return e;
  }

  private async create(req: pb.CreateTaskRequest): Promise<Init<typeof pb.CreateTaskResponseSchema>> {
    if (this.tasks.has(req.id)) throw new TtrpcError(Code.ALREADY_EXISTS, `container ${req.id}: already exists`);
    if (req.checkpoint !== '' || req.parentCheckpoint !== '') throw new TtrpcError(Code.UNIMPLEMENTED, 'checkpoint: tsrun has no checkpoint/restore');
    const opts = readOptions(req.options, this.d.namespace);
    const rt: api.Runtime = { root: opts.root };
    fs.mkdirSync(opts.root, { recursive: true, mode: 0o711 });
    mountRootfs(req.bundle, req.rootfs);
    let fifos: OpenedStdio | undefined;
    try {
      fifos = openFifos(req, req.terminal);
    } catch (e) {
      unmountRootfs(req.bundle);
      throw e;
    }
    let container: api.CreatedContainer;
    try {
      fs.writeFileSync(path.join(req.bundle, ROOT_FILE), opts.root);
      // With a terminal the config's process.terminal is what counts (containerd sets both).
      container = await api.create(rt, {
        id: req.id, bundle: req.bundle, noPivot: opts.noPivot, noNewKeyring: opts.noNewKeyring, preserveFds: 0,
        stdio: fifos?.entries ?? ['ignore', 'ignore', 'ignore'], ptyToCaller: true,
      });
    } catch (e) {
      fs.rmSync(path.join(req.bundle, ROOT_FILE), { force: true });
      fifos?.closeStdin();
      if (req.rootfs.length > 0) unmountRootfs(req.bundle);
      throw e;
    } finally {
      // The init stage has its own copies now (or there is none).
      fifos?.close();
    }
    let io: ProcessIO;
    try {
      io = this.processIO(req, fifos, container.ptyMaster, (container.child.stdio[0] as Writable | null) ?? null);
    } catch (e) {
      api.remove(rt, req.id, true);
      await container.waitExit();
      if (req.rootfs.length > 0) unmountRootfs(req.bundle);
      fs.rmSync(path.join(req.bundle, ROOT_FILE), { force: true });
      throw e;
    }
    const t = new ShimTask(req.id, req.bundle, opts.root, { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr }, container.ptyMaster !== undefined, container, io, req.rootfs.length > 0);
    this.tasks.set(req.id, t);
    void t.exited.then(async (exit) => {
      // The runc shim's init: the exec processes of a container that shares no PID namespace
      // with it are gone with it, or are killed by its cgroup teardown at delete.
      await this.publishExit(t.id, t.id, t.pid, exit, io);
    });
    this.watchOom(rt, t.id);
    void this.d.events.publish('/tasks/create', TaskCreateSchema, {
      containerId: req.id, bundle: req.bundle, rootfs: req.rootfs,
      io: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal }, pid: t.pid,
    });
    return { pid: t.pid };
  }

  /** fifos (no terminal) or the console relay on the master (terminal). */
  private processIO(s: TaskStdio, fifos: OpenedStdio | undefined, master: number | undefined, stdinPipe: Writable | null): ProcessIO {
    if (master !== undefined) {
      // process.terminal set in the config though the request asked for none: the terminal wins.
      fifos?.closeStdin();
      return consoleIO(relayConsole(master, s));
    }
    if (!fifos) throw new TtrpcError(Code.INVALID_ARGUMENT, 'terminal: the process has no terminal (process.terminal is false in its config)');
    fifos.relayStdin(stdinPipe);
    return fifoIO(fifos);
  }

  private watchOom(rt: api.Runtime, id: string): void {
    try {
      const mem = api.memoryCgroup(rt, id);
      if (mem) this.d.oom.add(id, mem);
    } catch (e) {
      // No OOM events is not worth failing the task for; the runc shim logs it too.
      log.warn(`oom watch of ${id}: ${(e as Error).message}`);
    }
  }

  private async publishExit(containerId: string, id: string, pid: number, exit: TaskExit, io: ProcessIO | undefined): Promise<void> {
    // The output a process wrote before it exited reaches the client before the exit does.
    await io?.finish();
    await this.d.events.publish('/tasks/exit', TaskExitSchema, {
      containerId, id, pid, exitStatus: exit.status, exitedAt: timestampFromDate(exit.at),
    });
  }

  private async exec(req: pb.ExecProcessRequest): Promise<Record<string, never>> {
    const t = this.task(req.id);
    if (t.execs.has(req.execId)) throw new TtrpcError(Code.ALREADY_EXISTS, `id ${req.execId}: already exists`);
    if (t.exit) throw new TtrpcError(Code.FAILED_PRECONDITION, `container ${t.id}: the task has exited`);
    const spec = jsonAny(req.spec, PROCESS_TYPE, 'exec spec') as Process;
    const e = new ShimExec(t, req.execId, { ...spec, terminal: req.terminal }, { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr }, req.terminal);
    t.execs.set(req.execId, e);
    void this.d.events.publish('/tasks/exec-added', TaskExecAddedSchema, { containerId: t.id, execId: req.execId });
    return {};
  }

  private async start(req: pb.StartRequest): Promise<Init<typeof pb.StartResponseSchema>> {
    const p = this.process(req.id, req.execId);
    if (p instanceof ShimExec) return { pid: await this.startExec(p) };
    api.start({ root: p.root }, p.id);
    void this.d.events.publish('/tasks/start', TaskStartSchema, { containerId: p.id, pid: p.pid });
    return { pid: p.pid };
  }

  private async startExec(e: ShimExec): Promise<number> {
    if (e.started) throw new TtrpcError(Code.FAILED_PRECONDITION, `process ${e.execId}: already started`);
    const fifos = openFifos(e.stdio, e.terminal);
    // The process's stdin is a pipe of our own, not the stage's 'pipe' entry: Node destroys a
    // child's stdin stream when the child exits (the stage exits at once), which would give the
    // process EOF while the client still types.
    let stdinPipe: [number, number] | undefined;
    let spawned: api.ExecutedProcess;
    try {
      const entries = fifos?.entries ?? ['ignore', 'ignore', 'ignore'];
      if (entries[0] === 'pipe') {
        stdinPipe = libc.pipe();
        entries[0] = stdinPipe[0];
      }
      spawned = await api.exec({ root: e.task.root }, { id: e.task.id, process: e.spec, stdio: entries });
    } catch (err) {
      fifos?.closeStdin();
      if (stdinPipe) fs.closeSync(stdinPipe[1]);
      throw err;
    } finally {
      fifos?.close();
      // The stage got its copy of the read end (spawn dup2()ed it).
      if (stdinPipe) fs.closeSync(stdinPipe[0]);
    }
    const stdinWriter = stdinPipe ? new net.Socket({ fd: stdinPipe[1], readable: false, writable: true }) : null;
    e.pid = spawned.pid;
    // Watched before the stage can exit: the process is reparented to us then, and reaped by pid.
    this.d.reaper.watch(e.pid, (raw) => e.setExited(raw));
    try {
      e.io = this.processIO(e.stdio, fifos, spawned.ptyMaster, stdinWriter);
    } catch (err) {
      api.kill({ root: e.task.root }, e.task.id, 9);
      throw err;
    }
    void spawned.stageExited.then(() => this.d.reaper.check());
    void e.exited.then((exit) => this.publishExit(e.task.id, e.execId, e.pid, exit, e.io));
    void this.d.events.publish('/tasks/exec-started', TaskExecStartedSchema, { containerId: e.task.id, execId: e.execId, pid: e.pid });
    return e.pid;
  }

  private async wait(req: pb.WaitRequest): Promise<Init<typeof pb.WaitResponseSchema>> {
    const exit = await this.process(req.id, req.execId).exited;
    return { exitStatus: exit.status, exitedAt: timestampFromDate(exit.at) };
  }

  private async state(req: pb.StateRequest): Promise<Init<typeof pb.StateResponseSchema>> {
    const p = this.process(req.id, req.execId);
    let status: Status;
    if (p.exit) status = Status.STOPPED;
    else if (p instanceof ShimExec) status = p.started ? Status.RUNNING : Status.CREATED;
    else status = STATUS[api.state({ root: p.root }, p.id).status] ?? Status.UNKNOWN;
    const id = p instanceof ShimExec ? p.execId : p.id;
    return {
      id, execId: req.execId, bundle: (p instanceof ShimExec ? p.task : p).bundle, pid: p.pid, status,
      stdin: p.stdio.stdin, stdout: p.stdio.stdout, stderr: p.stdio.stderr, terminal: p.terminal,
      exitStatus: p.exit?.status ?? 0, exitedAt: p.exit ? timestampFromDate(p.exit.at) : undefined,
    };
  }

  private async kill(req: pb.KillRequest): Promise<Record<string, never>> {
    const p = this.process(req.id, req.execId);
    // The runc shim's words for a process that is gone (errdefs.ErrNotFound).
    if (p instanceof ShimExec) {
      if (!p.started) throw new TtrpcError(Code.FAILED_PRECONDITION, `process ${p.execId} has not been started`);
      if (p.exit) throw new TtrpcError(Code.NOT_FOUND, 'process already finished');
      process.kill(p.pid, req.signal);
      return {};
    }
    if (p.exit && !req.all) throw new TtrpcError(Code.NOT_FOUND, 'process already finished');
    api.kill({ root: p.root }, p.id, req.signal, req.all);
    return {};
  }

  private async delete(req: pb.DeleteRequest): Promise<Init<typeof pb.DeleteResponseSchema>> {
    const p = this.process(req.id, req.execId);
    if (p instanceof ShimExec) {
      if (p.started && !p.exit) throw new TtrpcError(Code.FAILED_PRECONDITION, `cannot delete process ${p.execId} that is running`);
      if (!p.started) p.setNeverStarted();
      p.task.execs.delete(p.execId);
      const exit = await p.exited;
      return { pid: p.pid, exitStatus: exit.status, exitedAt: timestampFromDate(exit.at) };
    }
    const t = p;
    if (!t.exit) {
      const status = api.state({ root: t.root }, t.id).status;
      // A created task may be deleted (its program never ran); a running one must be killed first.
      if (status !== 'created' && status !== 'stopped') throw new TtrpcError(Code.FAILED_PRECONDITION, `cannot delete container ${t.id} that is ${status}`);
    }
    this.d.oom.remove(t.id);
    // force: a created container's init stage is killed (runtime.md "delete" on a stopped one
    // needs no force; for a created one containerd's delete is the end of it either way).
    api.remove({ root: t.root }, t.id, true);
    const exit = await t.exited;
    for (const e of t.execs.values()) if (!e.started) e.setNeverStarted();
    if (t.rootfsMounted) unmountRootfs(t.bundle);
    fs.rmSync(path.join(t.bundle, ROOT_FILE), { force: true });
    this.tasks.delete(t.id);
    void this.d.events.publish('/tasks/delete', TaskDeleteSchema, {
      containerId: t.id, id: t.id, pid: t.pid, exitStatus: exit.status, exitedAt: timestampFromDate(exit.at),
    });
    return { pid: t.pid, exitStatus: exit.status, exitedAt: timestampFromDate(exit.at) };
  }

  private async pids(req: pb.PidsRequest): Promise<Init<typeof pb.PidsResponseSchema>> {
    const t = this.task(req.id);
    const execOf = new Map<number, string>();
    for (const e of t.execs.values()) if (e.started && !e.exit) execOf.set(e.pid, e.execId);
    return {
      processes: api.pids({ root: t.root }, t.id).map((pid) => {
        const execId = execOf.get(pid);
        // As the runc shim: an exec process says which one it is (runc options ProcessDetails).
        if (execId === undefined) return { pid };
        return { pid, info: { typeUrl: ProcessDetailsSchema.typeName, value: toBinary(ProcessDetailsSchema, create(ProcessDetailsSchema, { execId })) } };
      }),
    };
  }

  private async pause(req: pb.PauseRequest): Promise<Record<string, never>> {
    const t = this.task(req.id);
    api.pause({ root: t.root }, t.id);
    void this.d.events.publish('/tasks/paused', TaskPausedSchema, { containerId: t.id });
    return {};
  }

  private async resume(req: pb.ResumeRequest): Promise<Record<string, never>> {
    const t = this.task(req.id);
    api.resume({ root: t.root }, t.id);
    void this.d.events.publish('/tasks/resumed', TaskResumedSchema, { containerId: t.id });
    return {};
  }

  private async update(req: pb.UpdateTaskRequest): Promise<Record<string, never>> {
    const t = this.task(req.id);
    api.update({ root: t.root }, t.id, jsonAny(req.resources, RESOURCES_TYPE, 'update resources'));
    return {};
  }

  private async stats(req: pb.StatsRequest): Promise<Init<typeof pb.StatsResponseSchema>> {
    const t = this.task(req.id);
    const rt = { root: t.root };
    return { stats: metricsAny(api.stats(rt, t.id), api.memoryCgroup(rt, t.id)?.oomKills() ?? 0) };
  }

  private async resizePty(req: pb.ResizePtyRequest): Promise<Record<string, never>> {
    const p = this.process(req.id, req.execId);
    if (!p.terminal) throw new TtrpcError(Code.FAILED_PRECONDITION, `process ${req.execId || req.id} has no terminal`);
    p.io?.resize(req.width, req.height);
    return {};
  }

  private async closeIO(req: pb.CloseIORequest): Promise<Record<string, never>> {
    const p = this.process(req.id, req.execId);
    if (req.stdin) p.io?.closeStdin();
    return {};
  }

  private async connect(req: pb.ConnectRequest): Promise<Init<typeof pb.ConnectResponseSchema>> {
    return { shimPid: process.pid, taskPid: this.tasks.get(req.id)?.pid ?? 0, version: '' };
  }

  private async shutdown(): Promise<Record<string, never>> {
    // The runc shim stays while it has containers; containerd calls Shutdown after each Delete.
    if (this.tasks.size === 0) setImmediate(this.d.onShutdown);
    return {};
  }

  /** Publishes /tasks/oom for container `id` (oom.ts saw its OOM-kill count grow). */
  oomKilled(id: string): void {
    if (this.tasks.has(id)) void this.d.events.publish('/tasks/oom', TaskOOMSchema, { containerId: id });
  }

  /** The methods by their generated localName, for TtrpcServer.register. */
  impl(): ServiceImpl {
    const m = <A, R>(fn: (req: A) => Promise<R>) => mapped(fn.bind(this));
    return {
      create: m(this.create), start: m(this.start), wait: m(this.wait), state: m(this.state), kill: m(this.kill),
      delete: m(this.delete), pids: m(this.pids), closeIO: m(this.closeIO), connect: m(this.connect), shutdown: m(this.shutdown),
      exec: m(this.exec), resizePty: m(this.resizePty), pause: m(this.pause), resume: m(this.resume), update: m(this.update),
      stats: m(this.stats),
      checkpoint: async () => {
        throw new TtrpcError(Code.UNIMPLEMENTED, 'Checkpoint: tsrun has no checkpoint/restore');
      },
    };
  }
}
