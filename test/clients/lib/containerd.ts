// A private containerd (own config.toml: root, state, grpc and ttrpc sockets inside the sandbox,
// the CRI plugin and the plugins that write to fixed host paths disabled) and the `ctr` calls made
// against it. Shared by the ctr tests and the docker tests (dockerd is pointed at it with
// --containerd, so it does not start a containerd of its own).
import fs from 'node:fs';
import { run, type RunOptions, type RunResult } from './exec';
import type { Sandbox } from './sandbox';

export const CONTAINERD = '/usr/bin/containerd';
export const CTR = '/usr/bin/ctr';

/**
 * Host paths containerd 1.6 makes for itself whatever the config says: the runc v2 shim's socket
 * dir /run/containerd/s (pkg/shim SocketAddress hard-codes defaults.DefaultStateDir) and ctr's
 * default fifo dir /run/containerd/fifo (the tests pass --fifo-dir). containerd's and its shim's,
 * not the runtime's: the runtime keeps its state in the --runc-root / exec-root it is given.
 */
export const CONTAINERD_CLIENT_PATHS: Readonly<Record<string, string>> = {
  '/run/containerd': "containerd's shim socket dir (/run/containerd/s)",
};

export interface Containerd {
  address: string;
  config: string;
}

/**
 * Writes <dir>/containerd/config.toml and starts `containerd -c` on it. Disabled plugins: cri (it
 * wants CNI and a sandbox image), opt (it creates /opt/containerd), the snapshotters this machine
 * does not have, and the otlp tracing processor.
 */
export async function startContainerd(sb: Sandbox): Promise<Containerd> {
  const base = sb.path('containerd', true);
  const address = `${base}/c.sock`;
  const config = `${base}/config.toml`;
  const toml = `version = 2
root = "${base}/root"
state = "${base}/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs",
]
[grpc]
  address = "${address}"
[ttrpc]
  address = "${address}.ttrpc"
[debug]
  level = "info"
`;
  fs.writeFileSync(config, toml);
  await sb.startDaemon('containerd', CONTAINERD, ['-c', config], address);
  return { address, config };
}

/** `ctr --address A --namespace NS args...` with a timeout. */
export function ctr(c: Containerd, ns: string, args: string[], opts: RunOptions = {}): RunResult {
  return run(CTR, ['--address', c.address, '--namespace', ns, ...args], opts);
}

/** Task status from `ctr task ls` (RUNNING, PAUSED, STOPPED, CREATED) or undefined when there is no task. */
export function taskStatus(c: Containerd, ns: string, id: string): { pid: number; status: string } | undefined {
  const r = ctr(c, ns, ['task', 'ls']);
  for (const line of r.stdout.split('\n').slice(1)) {
    const [task, pid, status] = line.trim().split(/\s+/);
    if (task === id && pid !== undefined && status !== undefined) return { pid: Number(pid), status };
  }
  return undefined;
}
