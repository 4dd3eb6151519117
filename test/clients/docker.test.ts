// dockerd with the runtime under test: a private containerd and dockerd (test/clients/lib/docker.ts),
// the runtime registered as "tsrun" and chosen per container with --runtime, the busybox test
// image brought in with `docker import`, every container with --network none. Checks: run (output,
// exit code), exec, exec -t, run -t, update --memory, pause, stop; then that nothing is left on
// the machine.
import t from 'tap';
import { CONTAINERD, CONTAINERD_CLIENT_PATHS, startContainerd } from './lib/containerd';
import { DOCKER, DOCKER_CLIENT_PATHS, DOCKERD, docker, dockerArgv, dockerRuntimeRoot, RUNTIME_NAME, startDockerd } from './lib/docker';
import { describe, lf, runInTerminal } from './lib/exec';
import { buildTestImage } from './lib/image';
import { argvLogMark, clientSkipReason, RUNTIME, runtimeForClient } from './lib/runtime';
import { cgroupValue } from './lib/host-cgroup';
import { Sandbox } from './lib/sandbox';

const CGROUP_PARENT = `tsclients-docker-${process.pid}`;
const NS = `tsclients-moby-${process.pid}`;
const IMAGE = 'tsclients-busybox:latest';
const skip = clientSkipReason([DOCKERD, DOCKER, CONTAINERD]);


t.test(`docker with ${RUNTIME}`, { skip }, async (t) => {
  const sb = new Sandbox('docker', {
    cgroups: [CGROUP_PARENT, NS],
    runtimeRoots: [],
    clientPaths: { ...CONTAINERD_CLIENT_PATHS, ...DOCKER_CLIENT_PATHS },
  });
  t.teardown(() => sb.teardown());
  sb.runtimeRoot(dockerRuntimeRoot(sb, NS));
  const img = buildTestImage(sb.path('image', true));
  const c = await startContainerd(sb);
  const d = await startDockerd(sb, c, runtimeForClient(sb.dir), CGROUP_PARENT, NS);
  const dk = (args: string[]) => docker(d, args);
  const inspect = (name: string, fmt: string) => dk(['inspect', '--format', fmt, name]).stdout.trim();

  const imp = dk(['import', img.rootfsTar, IMAGE]);
  t.equal(imp.status, 0, `image imported: ${describe(imp)}`);
  const runArgs = ['run', '--runtime', RUNTIME_NAME, '--network', 'none'];

  t.test('run: output and exit code', async (t) => {
    argvLogMark('docker run --rm (exit 3)');
    const r = dk([...runArgs, '--rm', IMAGE, 'sh', '-c', 'echo hello from docker; exit 3']);
    t.equal(r.status, 3, describe(r));
    t.equal(r.stdout, 'hello from docker\n');
  });

  t.test('run -d: a running container', async (t) => {
    argvLogMark('docker run -d --memory 32m');
    const r = dk([...runArgs, '-d', '--name', 'long', '--memory', '32m', IMAGE, 'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.2; done']);
    t.equal(r.status, 0, describe(r));
    t.equal(inspect('long', '{{.State.Status}}'), 'running');
  });

  // Issue 4's "done when": the client's own default seccomp profile goes through tsrun. Without a
  // filter, root in the container could still make a user namespace (no capability needed); the
  // default profiles allow unshare only with CAP_SYS_ADMIN.
  t.test('the client\'s default seccomp profile is in force, for run and exec', async (t) => {
    const script = "grep -E \"^Seccomp:\" /proc/self/status; unshare -U true 2>/dev/null && echo unshare-allowed || echo unshare-denied; unshare -m true 2>/dev/null || echo mount-ns-denied";
    const r = dk([...runArgs, '--rm', IMAGE, 'sh', '-c', script]);
    t.equal(r.status, 0, describe(r));
    t.match(r.stdout, /^Seccomp:\s+2\n/, 'run: a seccomp filter is loaded');
    t.match(r.stdout, /unshare-denied\nmount-ns-denied\n/, 'run: the profile denies unshare');
    const e = dk(['exec', 'long', 'sh', '-c', script]);
    t.match(e.stdout, /^Seccomp:\s+2\nunshare-denied\n/, `exec: the same filter: ${describe(e)}`);
  });

  // The runtime's error reaches the user: the shim reads the last error line of the runtime's
  // --log file (runc's JSON lines); docker exec reports it with status 126, as it does for runc.
  t.test('exec of a missing command: the runtime\'s reason', async (t) => {
    const r = dk(['exec', 'long', 'no-such-command']);
    t.equal(r.status, 126, describe(r));
    t.match(r.stdout + r.stderr, /OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-command": executable file not found in \$PATH/, 'the runtime\'s own words, as runc\'s');
  });

  t.test('exec: output and exit code', async (t) => {
    argvLogMark('docker exec');
    const r = dk(['exec', 'long', 'sh', '-c', 'echo in $PWD as $(id -u); exit 4']);
    t.equal(r.status, 4, describe(r));
    t.equal(r.stdout, 'in / as 0\n');
  });

  t.test('exec -it: a terminal', async (t) => {
    argvLogMark('docker exec -it');
    const r = runInTerminal(dockerArgv(d, ['exec', '-it', 'long', 'sh', '-c', 'tty; [ -t 1 ] && echo stdout-is-a-tty; exit 5']));
    t.equal(r.status, 5, describe(r));
    t.match(lf(r.stdout), /\/dev\/pts\/\d+\nstdout-is-a-tty\n/);
  });

  t.test('run -t: a terminal', async (t) => {
    argvLogMark('docker run -t');
    const r = runInTerminal(dockerArgv(d, [...runArgs, '--rm', '-t', IMAGE, 'sh', '-c', 'tty; [ -t 1 ] && echo stdout-is-a-tty; exit 6']));
    t.equal(r.status, 6, describe(r));
    t.match(lf(r.stdout), /\/dev\/pts\/\d+\nstdout-is-a-tty\n/);
  });

  t.test('update --memory: the cgroup limit changes', async (t) => {
    argvLogMark('docker update --memory 48m');
    const r = dk(['update', '--memory', '48m', 'long']);
    t.equal(r.status, 0, describe(r));
    t.equal(inspect('long', '{{.HostConfig.Memory}}'), String(48 * 1024 * 1024), 'docker inspect has the new limit');
    const pid = Number(inspect('long', '{{.State.Pid}}'));
    t.equal(pid > 0 ? cgroupValue(pid, 'memory', 'memory.limit_in_bytes') : undefined, String(48 * 1024 * 1024), 'memory.limit_in_bytes');
  });

  t.test('pause and unpause', async (t) => {
    argvLogMark('docker pause');
    const r = dk(['pause', 'long']);
    t.equal(r.status, 0, describe(r));
    t.equal(inspect('long', '{{.State.Status}}'), 'paused');
    argvLogMark('docker unpause');
    const u = dk(['unpause', 'long']);
    t.equal(u.status, 0, describe(u));
    t.equal(inspect('long', '{{.State.Status}}'), 'running');
  });

  t.test('stop: SIGTERM reaches the process', async (t) => {
    argvLogMark('docker stop');
    const r = dk(['stop', '--time', '20', 'long']);
    t.equal(r.status, 0, describe(r));
    t.equal(inspect('long', '{{.State.Status}}'), 'exited');
    t.equal(inspect('long', '{{.State.ExitCode}}'), '7', 'the trap ran: exit code 7, not 137');
    argvLogMark('docker rm');
    const rm = dk(['rm', 'long']);
    t.equal(rm.status, 0, describe(rm));
  });

  t.test('nothing left behind', async (t) => {
    const ids = dk(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) dk(['rm', '-f', ...ids]);
    t.same(await sb.teardown(), [], 'the runtime left no process, mount, cgroup, netns or container state');
    for (const f of sb.clientFiles) t.comment(`dockerd's or containerd's own, removed, not a leak: ${f}`);
  });
});
