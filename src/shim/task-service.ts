// containerd.task.v2.Task (containerd 1.6 runtime/v2/task/shim.proto) on top of tsrun's library
// API (src/api.ts): the same create/start/kill/delete code as the CLI, run in this process.
// Served now: Create, Start, Wait, State, Kill, Delete, Pids, Connect, Shutdown, CloseIO.
// Answered UNIMPLEMENTED by name: Exec, ResizePty, Pause, Resume, Update, Stats (not yet), and
// Checkpoint (tsrun has no checkpoint/restore). Terminals (CreateTaskRequest.terminal) are
// refused by name for now. Events (/tasks/create, start, exit, delete) go out as the runc shim
// sends them (runtime/v2/runc/task/service.go), queued in order and never awaited by a request:
// the runc shim hands them to a goroutine too, so containerd being slow to take an event does
// not slow the task operation.
import fs = require('node:fs');
import path = require('node:path');
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import * as api from '../api';
import { Status } from './gen/github.com/containerd/containerd/api/types/task/task_pb';
import { TaskCreateSchema, TaskDeleteSchema, TaskExitSchema, TaskStartSchema } from './gen/github.com/containerd/containerd/api/events/task_pb';
import type * as pb from './gen/github.com/containerd/containerd/runtime/v2/task/shim_pb';
import type { EventPublisher } from './events';
import { readOptions } from './options';
import { mountRootfs, unmountRootfs } from './rootfs';
import { openStdio } from './stdio';
import { ShimTask } from './task';
import { toTtrpcError } from './errors';
import { Code, TtrpcError } from './ttrpc/codes';
import type { ServiceImpl } from './ttrpc/server';

type Init<S extends DescMessage> = MessageInitShape<S>;

/** A file in the bundle telling the `delete` action (a new process) which state root was used. */
export const ROOT_FILE = 'tsrun-root';

const STATUS: Record<string, Status> = {
  creating: Status.CREATED, created: Status.CREATED, running: Status.RUNNING, paused: Status.PAUSED, stopped: Status.STOPPED,
};

function notImplemented(method: string, why = 'not supported by containerd-shim-tsrun-v1 yet'): () => Promise<never> {
  return async () => {
    throw new TtrpcError(Code.UNIMPLEMENTED, `${method}: ${why}`);
  };
}

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

export class TaskService {
  readonly tasks = new Map<string, ShimTask>();

  constructor(private readonly namespace: string, private readonly events: EventPublisher, private readonly onShutdown: () => void) {}

  private task(id: string, execId = ''): ShimTask {
    if (execId !== '') throw new TtrpcError(Code.NOT_FOUND, `process ${execId} does not exist (exec is not supported by containerd-shim-tsrun-v1 yet)`);
    const t = this.tasks.get(id);
    if (!t) throw new TtrpcError(Code.NOT_FOUND, `container ${id}: not found`);
    return t;
  }

  private async create(req: pb.CreateTaskRequest): Promise<Init<typeof pb.CreateTaskResponseSchema>> {
    if (this.tasks.has(req.id)) throw new TtrpcError(Code.ALREADY_EXISTS, `container ${req.id}: already exists`);
    if (req.terminal) throw new TtrpcError(Code.UNIMPLEMENTED, 'terminal: not supported by containerd-shim-tsrun-v1 yet');
    if (req.checkpoint !== '' || req.parentCheckpoint !== '') throw new TtrpcError(Code.UNIMPLEMENTED, 'checkpoint: tsrun has no checkpoint/restore');
    const opts = readOptions(req.options, this.namespace);
    const rt: api.Runtime = { root: opts.root };
    fs.mkdirSync(opts.root, { recursive: true, mode: 0o711 });
    mountRootfs(req.bundle, req.rootfs);
    const io = (() => {
      try {
        return openStdio(req);
      } catch (e) {
        unmountRootfs(req.bundle);
        throw e;
      }
    })();
    let container: api.CreatedContainer;
    try {
      fs.writeFileSync(path.join(req.bundle, ROOT_FILE), opts.root);
      container = await api.create(rt, { id: req.id, bundle: req.bundle, noPivot: opts.noPivot, noNewKeyring: opts.noNewKeyring, preserveFds: 0, stdio: io.entries });
    } catch (e) {
      fs.rmSync(path.join(req.bundle, ROOT_FILE), { force: true });
      io.closeStdin();
      if (req.rootfs.length > 0) unmountRootfs(req.bundle);
      throw e;
    } finally {
      // The init stage has its own copies now (or there is none).
      io.close();
    }
    io.relayStdin(container.child.stdin);
    const t = new ShimTask(req.id, req.bundle, opts.root, { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr }, container, io, req.rootfs.length > 0);
    this.tasks.set(req.id, t);
    void t.exited.then((exit) => {
      io.closeStdin();
      return this.events.publish('/tasks/exit', TaskExitSchema, {
        containerId: t.id, id: t.id, pid: t.pid, exitStatus: exit.status, exitedAt: timestampFromDate(exit.at),
      });
    });
    void this.events.publish('/tasks/create', TaskCreateSchema, {
      containerId: req.id, bundle: req.bundle, rootfs: req.rootfs,
      io: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal }, pid: t.pid,
    });
    return { pid: t.pid };
  }

  private async start(req: pb.StartRequest): Promise<Init<typeof pb.StartResponseSchema>> {
    const t = this.task(req.id, req.execId);
    api.start({ root: t.root }, t.id);
    void this.events.publish('/tasks/start', TaskStartSchema, { containerId: t.id, pid: t.pid });
    return { pid: t.pid };
  }

  private async wait(req: pb.WaitRequest): Promise<Init<typeof pb.WaitResponseSchema>> {
    const exit = await this.task(req.id, req.execId).exited;
    return { exitStatus: exit.status, exitedAt: timestampFromDate(exit.at) };
  }

  private async state(req: pb.StateRequest): Promise<Init<typeof pb.StateResponseSchema>> {
    const t = this.task(req.id, req.execId);
    const status = t.exit ? Status.STOPPED : (STATUS[api.state({ root: t.root }, t.id).status] ?? Status.UNKNOWN);
    return {
      id: t.id, bundle: t.bundle, pid: t.pid, status, stdin: t.stdio.stdin, stdout: t.stdio.stdout, stderr: t.stdio.stderr,
      terminal: false, exitStatus: t.exit?.status ?? 0, exitedAt: t.exit ? timestampFromDate(t.exit.at) : undefined,
    };
  }

  private async kill(req: pb.KillRequest): Promise<Record<string, never>> {
    const t = this.task(req.id, req.execId);
    // The runc shim's words for a process that is gone (errdefs.ErrNotFound).
    if (t.exit) throw new TtrpcError(Code.NOT_FOUND, 'process already finished');
    api.kill({ root: t.root }, t.id, req.signal, req.all);
    return {};
  }

  private async delete(req: pb.DeleteRequest): Promise<Init<typeof pb.DeleteResponseSchema>> {
    const t = this.task(req.id, req.execId);
    if (!t.exit) {
      const status = api.state({ root: t.root }, t.id).status;
      // A created task may be deleted (its program never ran); a running one must be killed first.
      if (status !== 'created' && status !== 'stopped') throw new TtrpcError(Code.FAILED_PRECONDITION, `cannot delete container ${t.id} that is ${status}`);
    }
    // force: a created container's init stage is killed (runtime.md "delete" on a stopped one
    // needs no force; for a created one containerd's delete is the end of it either way).
    api.remove({ root: t.root }, t.id, true);
    const exit = await t.exited;
    if (t.rootfsMounted) unmountRootfs(t.bundle);
    fs.rmSync(path.join(t.bundle, ROOT_FILE), { force: true });
    this.tasks.delete(t.id);
    void this.events.publish('/tasks/delete', TaskDeleteSchema, {
      containerId: t.id, id: t.id, pid: t.pid, exitStatus: exit.status, exitedAt: timestampFromDate(exit.at),
    });
    return { pid: t.pid, exitStatus: exit.status, exitedAt: timestampFromDate(exit.at) };
  }

  private async pids(req: pb.PidsRequest): Promise<Init<typeof pb.PidsResponseSchema>> {
    const t = this.task(req.id);
    return { processes: api.pids({ root: t.root }, t.id).map((pid) => ({ pid })) };
  }

  private async closeIO(req: pb.CloseIORequest): Promise<Record<string, never>> {
    const t = this.task(req.id, req.execId);
    if (req.stdin) t.io.closeStdin();
    return {};
  }

  private async connect(req: pb.ConnectRequest): Promise<Init<typeof pb.ConnectResponseSchema>> {
    return { shimPid: process.pid, taskPid: this.tasks.get(req.id)?.pid ?? 0, version: '' };
  }

  private async shutdown(): Promise<Record<string, never>> {
    // The runc shim stays while it has containers; containerd calls Shutdown after each Delete.
    if (this.tasks.size === 0) setImmediate(this.onShutdown);
    return {};
  }

  /** The methods by their generated localName, for TtrpcServer.register. */
  impl(): ServiceImpl {
    const m = <A, R>(fn: (req: A) => Promise<R>) => mapped(fn.bind(this));
    return {
      create: m(this.create), start: m(this.start), wait: m(this.wait), state: m(this.state), kill: m(this.kill),
      delete: m(this.delete), pids: m(this.pids), closeIO: m(this.closeIO), connect: m(this.connect), shutdown: m(this.shutdown),
      exec: notImplemented('Exec'), resizePty: notImplemented('ResizePty'), pause: notImplemented('Pause'),
      resume: notImplemented('Resume'), update: notImplemented('Update'), stats: notImplemented('Stats'),
      checkpoint: notImplemented('Checkpoint', 'tsrun has no checkpoint/restore'),
    };
  }
}

