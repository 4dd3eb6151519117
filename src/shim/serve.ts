// The shim server: the long-lived process containerd talks to. Started by the `start` action
// (start-action.ts) with -socket, in the bundle dir, its stderr on containerd's shim log fifo.
// It listens on the socket, tells `start` it is ready on fd 3, and serves the Task service until
// Shutdown (after containerd deleted its last task) or SIGTERM.
import fs = require('node:fs');
import net = require('node:net');
import path = require('node:path');
import { configureLog, log } from '../log';
import { Task } from './gen/github.com/containerd/containerd/runtime/v2/task/shim_pb';
import { EventPublisher } from './events';
import { TaskService } from './task-service';
import { TtrpcServer } from './ttrpc/server';
import { Reaper } from './reaper';
import { OomWatcher } from './oom';
import type { ShimFlags } from './flags';

/** fd 3 of the server: the pipe its `start` action waits on ("ready\n"). */
const READY_FD = 3;

function listen(server: net.Server, sockPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(sockPath, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

export async function serve(f: ShimFlags): Promise<void> {
  configureLog({ format: 'text', debug: f.debug });
  const events = new EventPublisher(process.env.TTRPC_ADDRESS ?? '', f.namespace, (m) => log.warn(m));
  const ttrpc = new TtrpcServer();
  ttrpc.onError = (e) => log.debug(`connection: ${e.message}`);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    ttrpc.close();
    oom.close();
    fs.rmSync(f.socket, { force: true });
    void events.flush().finally(() => {
      events.close();
      process.exit(0);
    });
  };
  // The init stages are Node's children (libuv reaps them); exec processes are watched by pid.
  let svc: TaskService | undefined;
  const reaper = new Reaper((pid) => [...(svc?.tasks.values() ?? [])].some((t) => t.pid === pid));
  const oom = new OomWatcher((id) => svc?.oomKilled(id), (m) => log.warn(m));
  svc = new TaskService({ namespace: f.namespace, events, reaper, oom, onShutdown: shutdown });
  ttrpc.register(Task, svc.impl());
  reaper.start();
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // SIGPIPE is ignored by Node already; a client that went away is an EPIPE on its socket.

  fs.mkdirSync(path.dirname(f.socket), { recursive: true, mode: 0o700 });
  const server = net.createServer();
  await listen(server, f.socket);
  fs.chmodSync(f.socket, 0o600);
  ttrpc.serve(server);
  try {
    fs.writeSync(READY_FD, 'ready\n');
    fs.closeSync(READY_FD);
  } catch (e) {
    // Started by hand, without the pipe: nothing waits.
    log.debug(`ready pipe: ${(e as Error).message}`);
  }
}
