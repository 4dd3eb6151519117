// dockerd with private data-root, exec-root, pidfile and socket, its runtime registered in a
// private daemon.json, pointed at a private containerd (lib/containerd.ts) instead of starting one
// of its own, and the `docker` calls made against it. /usr/local/bin/docker on this machine is an
// unrelated newer client, so the Debian client /usr/bin/docker is used by path.
import fs from 'node:fs';
import { run, type RunOptions, type RunResult } from './exec';
import type { Containerd } from './containerd';
import type { Sandbox } from './sandbox';

export const DOCKERD = '/usr/sbin/dockerd';
export const DOCKER = '/usr/bin/docker';
export const RUNTIME_NAME = 'tsrun';

/**
 * Host paths dockerd 20.10 uses whatever the flags say: /run/docker/plugins (the plugin socket
 * discovery dir, made at start-up), and /etc/docker/key.json unless daemon.json's
 * "deprecated-key-path" moves it (it does, below: listed to catch a regression).
 */
export const DOCKER_HOST_PATHS = ['/run/docker', '/etc/docker/key.json', '/var/lib/docker'];

export interface Dockerd {
  host: string;
}

/**
 * Writes <dir>/docker/daemon.json and starts dockerd: no iptables, no default bridge (containers
 * run with --network none), containers under the cgroup parent `cgroupParent`, in containerd
 * namespace `namespace` of the private containerd.
 */
export async function startDockerd(sb: Sandbox, c: Containerd, runtimePath: string, cgroupParent: string, namespace: string): Promise<Dockerd> {
  const base = sb.path('docker', true);
  const socket = `${base}/docker.sock`;
  const daemonJson = {
    runtimes: { [RUNTIME_NAME]: { path: runtimePath } },
    'deprecated-key-path': `${base}/key.json`,
  };
  fs.writeFileSync(`${base}/daemon.json`, JSON.stringify(daemonJson, null, 2));
  await sb.startDaemon('dockerd', DOCKERD, [
    '--config-file', `${base}/daemon.json`,
    '--data-root', `${base}/data`,
    '--exec-root', `${base}/exec`,
    '--pidfile', `${base}/dockerd.pid`,
    '-H', `unix://${socket}`,
    '--containerd', c.address,
    '--containerd-namespace', namespace,
    '--containerd-plugins-namespace', `${namespace}-plugins`,
    '--cgroup-parent', cgroupParent,
    '--iptables=false', '--ip6tables=false', '--bridge=none', '--ip-masq=false',
    '--storage-driver', 'overlay2',
  ], socket, 30_000);
  return { host: `unix://${socket}` };
}

/** `docker -H <socket> args...` with a timeout. */
export function docker(d: Dockerd, args: string[], opts: RunOptions = {}): RunResult {
  return run(DOCKER, ['-H', d.host, ...args], opts);
}

/** The full docker argv (for runInTerminal). */
export function dockerArgv(d: Dockerd, args: string[]): string[] {
  return [DOCKER, '-H', d.host, ...args];
}
