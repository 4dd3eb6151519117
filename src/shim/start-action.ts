// `containerd-shim-tsrun-v1 ... start`: containerd runs it in the bundle dir for each new task
// and reads the ttrpc address it prints (runtime/v2/binary.go Start: CombinedOutput, trimmed).
// If a server already listens on this task's socket it is reused; otherwise one is spawned
// detached (its own session, so containerd's process group signals do not reach it), and this
// process prints the address once the server says it listens, then exits. The server gets none
// of our stdout/stderr (containerd waits for them to close); its stderr is the shim log fifo
// "log" containerd made in the bundle (runtime/v2/shim_unix.go openShimLog), when it is there.
// The runtime options containerd sends on stdin are read by Create, where they come again.
import { spawn } from 'node:child_process';
import fs = require('node:fs');
import net = require('node:net');
import path = require('node:path');
import { RuntimeError } from '../errors';
import { socketAddress, socketPath } from './address';
import type { ShimFlags } from './flags';

/** Written in the bundle, as the runc shim does (shim.WriteAddress): the delete action reads it. */
export const ADDRESS_FILE = 'address';
const READY_TIMEOUT_MS = 20_000;

function canConnect(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function openLogFifo(): number | 'ignore' {
  try {
    // O_NONBLOCK: ENXIO instead of hanging when nobody reads it (fifo(7)).
    return fs.openSync('log', fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    return 'ignore';
  }
}

export async function startAction(f: ShimFlags, entry: string): Promise<string> {
  if (f.id === '') throw new RuntimeError('usage', 'start: -id is required');
  const sock = socketPath(f.address, f.namespace, f.id);
  const address = socketAddress(sock);
  if (fs.existsSync(sock)) {
    if (await canConnect(sock)) return address;
    // A dead server's socket (SIGKILLed shim): ours now.
    fs.rmSync(sock, { force: true });
  }
  const log = openLogFifo();
  const args = ['-namespace', f.namespace, '-id', f.id, '-address', f.address, '-publish-binary', f.publishBinary, '-socket', sock];
  if (f.debug) args.push('-debug');
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: process.cwd(),
    detached: true,
    stdio: ['ignore', 'ignore', log, 'pipe'],
    // As bin/ drops it: the server makes no TLS connection.
    env: { ...process.env, NODE_EXTRA_CA_CERTS: undefined },
  });
  if (typeof log === 'number') fs.closeSync(log);
  const ready = child.stdio[3] as net.Socket;
  await new Promise<void>((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new RuntimeError('shim', `shim server did not start within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    ready.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new RuntimeError('shim', `shim server exited before it was ready (${signal ?? `status ${code}`})`));
    });
  });
  ready.destroy();
  child.unref();
  fs.writeFileSync(path.join(process.cwd(), ADDRESS_FILE), address);
  return address;
}
