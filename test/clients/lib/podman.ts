// podman with private storage and a containers.conf (CONTAINERS_CONF) that names the runtime under
// test, and the `podman` calls made with it. podman has no daemon: each call is a process, conmon
// monitors each container, and conmon's exit command (`podman container cleanup`) deletes it.
import fs from 'node:fs';
import { cleanEnv, run, type RunOptions, type RunResult } from './exec';
import type { Sandbox } from './sandbox';

export const PODMAN = '/usr/bin/podman';
export const CONMON = '/usr/bin/conmon';

/** Name under which containers.conf registers the runtime (whatever binary it is). */
export const RUNTIME_NAME = 'tsrun';

/**
 * The cgroup parent podman's cgroupfs manager uses (libpod's CgroupfsDefaultCgroupParent); conmon
 * goes into <parent>/conmon, which podman never removes.
 */
export const PODMAN_CGROUP_PARENT = 'libpod_parent';
export const PODMAN_SHARED_CGROUPS = ['conmon'];

/**
 * The runtime's state roots podman makes it use. Run as root, podman passes no --root to the
 * runtime (and `podman container cleanup`, conmon's exit command, would not repeat a
 * --runtime-flag root=... anyway), so the runtime keeps its containers in its default root:
 * runc's /run/runc, tsrun's /run/tsrun, crun's /run/crun. What is left there is the runtime's.
 */
export const PODMAN_RUNTIME_ROOTS = ['/run/runc', '/run/tsrun', '/run/crun'];

/**
 * Host paths podman makes for itself although --root, --runroot and containers.conf point every
 * store and tmp dir into the sandbox. Its files, not the runtime's; removed when new.
 */
export const PODMAN_CLIENT_PATHS: Readonly<Record<string, string>> = {
  // containers/image keeps its blob info cache at /var/lib/containers/cache/blob-info-cache-v1.*
  // for root whatever the storage root is (pkg/blobinfocache/default.go); it is made by the first
  // image operation on a machine (here `podman import`).
  '/var/lib/containers': "podman's blob info cache, made on its first run on a machine",
  // libpod's default tmp dir for root; tmp_dir in containers.conf moves it into the sandbox.
  '/run/libpod': "libpod's default tmp dir",
  // containers/storage's default run root and the default auth file dir (/run/containers/0).
  '/run/containers': "containers/storage's and containers/image's default run dirs",
};
export interface Podman {
  env: NodeJS.ProcessEnv;
  globalArgs: string[];
}

/** Hard limit of `resource` for this process, from /proc/self/limits ("unlimited" -> undefined). */
function hardLimit(name: string): number | undefined {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(26).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? undefined : Number(hard);
}

/**
 * Writes <dir>/podman/containers.conf and storage dirs. Choices, each for a reason:
 *  - runtime = "tsrun" pointing at the runtime under test; runtime_supports_json lists it, since
 *    podman passes --log-format=json only to the runtimes listed there (and otherwise parses the
 *    runtime's plain-text errors);
 *  - cgroup_manager = "cgroupfs" (no systemd here), events_logger = "file" (no journald), lock_type
 *    = "file" (the default "shm" lock leaves /dev/shm/libpod_lock), every tmp/static/volume/network
 *    dir inside the sandbox;
 *  - default_ulimits: podman's default nofile/nproc of 1048576 is above this machine's hard limits,
 *    and raising a hard limit needs CAP_SYS_RESOURCE, which this machine lacks; podman 4.3 also
 *    sets its own RLIMIT_NPROC to 32768 at startup (strace: setrlimit(RLIMIT_NPROC, {32*1024,
 *    32*1024})), and the runtime it starts inherits that.
 */
export function setupPodman(sb: Sandbox, runtimePath: string): Podman {
  const base = sb.path('podman', true);
  const nofile = hardLimit('Max open files') ?? 1048576;
  const nproc = Math.min(hardLimit('Max processes') ?? 32768, 32768);
  const conf = `[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
netns = "none"
log_driver = "k8s-file"

[engine]
runtime = "${RUNTIME_NAME}"
runtime_supports_json = ["${RUNTIME_NAME}", "crun", "runc"]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${base}/events.log"
lock_type = "file"
tmp_dir = "${base}/tmp"
static_dir = "${base}/static"
volume_path = "${base}/volumes"
image_copy_tmp_dir = "${base}/tmp"

[engine.runtimes]
${RUNTIME_NAME} = ["${runtimePath}"]

[network]
network_config_dir = "${base}/networks"
`;
  fs.writeFileSync(`${base}/containers.conf`, conf);
  fs.writeFileSync(`${base}/registries.conf`, 'unqualified-search-registries = []\n');
  fs.mkdirSync(`${base}/tmpdir`);
  const env = cleanEnv({
    CONTAINERS_CONF: `${base}/containers.conf`,
    CONTAINERS_REGISTRIES_CONF: `${base}/registries.conf`,
    TMPDIR: `${base}/tmpdir`,
  });
  const globalArgs = ['--root', `${base}/root`, '--runroot', `${base}/runroot`, '--storage-driver', 'overlay'];
  return { env, globalArgs };
}

/** `podman <global args> args...` with a timeout. */
export function podman(p: Podman, args: string[], opts: RunOptions = {}): RunResult {
  return run(PODMAN, [...p.globalArgs, ...args], { ...opts, env: p.env });
}

/** The full podman argv (for runInTerminal). */
export function podmanArgv(p: Podman, args: string[]): string[] {
  return [PODMAN, ...p.globalArgs, ...args];
}
