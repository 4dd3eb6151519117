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
 * Host paths dockerd 20.10 makes for itself whatever the flags say: /run/docker/plugins (the
 * plugin socket discovery dir, made at start-up), /etc/docker/key.json (its identity key, made on
 * the first start) unless daemon.json's "deprecated-key-path" moves it (it does, below), and its
 * default data root, which --data-root moves. dockerd's, not the runtime's.
 */
export const DOCKER_CLIENT_PATHS: Readonly<Record<string, string>> = {
  '/run/docker': "dockerd's plugin discovery dir (/run/docker/plugins)",
  '/etc/docker/key.json': "dockerd's identity key, made on its first start",
  '/var/lib/docker': "dockerd's default data root",
};

/** The runtime's --root under this dockerd: <exec-root>/runtime-runc/<containerd namespace> (test/clients/RUNTIME-CALLS.md). */
export function dockerRuntimeRoot(sb: Sandbox, namespace: string): string {
  return `${sb.path('docker')}/exec/runtime-runc/${namespace}`;
}

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
