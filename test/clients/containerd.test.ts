// containerd with the runtime under test: a private containerd (test/clients/lib/containerd.ts),
// the busybox test image imported with `ctr images import`, and the runc v2 shim pointed at the
// runtime with `ctr run --runc-binary` (the shim's BinaryName option) and a private
// `--runc-root`. Checks what ctr users do: run (output, exit code), env/cwd, --uidmap/--gidmap, a detached task,
// exec, exec -t, ps, pause/resume, kill, delete; then that nothing is left on the machine.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CONTAINERD, CONTAINERD_CLIENT_PATHS, CTR, ctr, startContainerd, taskStatus } from './lib/containerd';
import { describe, lf, runInTerminal } from './lib/exec';
import { buildTestImage } from './lib/image';
import { argvLogMark, clientSkipReason, RUNTIME, runtimeForClient } from './lib/runtime';
import { Sandbox } from './lib/sandbox';
import { waitFor } from './lib/wait';

// The containerd namespace is also the cgroup parent ctr gives containers (/<namespace>/<id>).
const NS = `tsclients-${process.pid}`;
const skip = clientSkipReason([CONTAINERD, CTR]);

t.test(`ctr (containerd) with ${RUNTIME}`, { skip }, async (t) => {
  const sb = new Sandbox('ctr', { cgroups: [NS], runtimeRoots: [], clientPaths: CONTAINERD_CLIENT_PATHS });
  t.teardown(() => sb.teardown());
  const img = buildTestImage(sb.path('image', true));
  const c = await startContainerd(sb);
  const runcRoot = sb.path('runc-root');
  sb.runtimeRoot(path.join(runcRoot, NS)); // the shim runs the runtime with --root <runc-root>/<namespace>
  const runFlags = ['--runc-binary', runtimeForClient(sb.dir), '--runc-root', runcRoot, '--fifo-dir', sb.path('fifo', true)];
  const ref = `docker.io/${img.name}`;

  const imp = ctr(c, NS, ['images', 'import', img.dockerArchive]);
  t.equal(imp.status, 0, `image imported: ${describe(imp)}`);
  const detached = 'detached';

  t.test('run: output and exit code', async (t) => {
    argvLogMark('ctr run (foreground, exit 3)');
    const r = ctr(c, NS, ['run', '--rm', ...runFlags, ref, 'fg', 'sh', '-c', 'echo hello from $0; exit 3']);
    t.equal(r.status, 3, `exit code of the container's process: ${describe(r)}`);
    t.equal(r.stdout, 'hello from sh\n', 'its output');
  });

  t.test('run: --env and --cwd', async (t) => {
    argvLogMark('ctr run --env --cwd');
    const r = ctr(c, NS, ['run', '--rm', ...runFlags, '--env', 'GREETING=hi there', '--cwd', '/tmp', ref, 'envcwd', 'sh', '-c', 'echo "$GREETING"; pwd']);
    t.equal(r.status, 0, describe(r));
    t.equal(r.stdout, 'hi there\n/tmp\n');
  });

  // Issue 13: ctr's user namespace flags. ctr (containerd 1.6) chowns a copy of the snapshot into
  // the range (WithRemappedSnapshot) and puts linux.uidMappings/gidMappings and a "user" namespace
  // in config.json; the runtime makes the namespace (tsrun: src/launcher/nsexec.c).
  t.test('run --uidmap --gidmap: a user namespace', async (t) => {
    argvLogMark('ctr run --uidmap --gidmap');
    // The mapped root must search its way to the rootfs under containerd's state dir, as under
    // /run/containerd (0711); the sandbox is a mkdtemp dir (0700). runc needs the same.
    fs.chmodSync(sb.dir, 0o711);
    const script = 'echo id=$(id -u):$(id -g); echo map=$(tr -s " " < /proc/self/uid_map); echo gmap=$(tr -s " " < /proc/self/gid_map);'
      + ' echo owner=$(stat -c %u:%g /bin/busybox); touch /made && echo write=ok; echo ns=$(readlink /proc/self/ns/user)';
    const r = ctr(c, NS, ['run', '--rm', ...runFlags, '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536', ref, 'userns', 'sh', '-c', script]);
    t.equal(r.status, 0, describe(r));
    const v = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    t.equal(v.id, '0:0', 'root in the container');
    t.equal(v.map?.trim(), '0 100000 65536', 'uid_map as --uidmap says');
    t.equal(v.gmap?.trim(), '0 100000 65536', 'gid_map as --gidmap says');
    t.equal(v.owner, '0:0', 'the remapped snapshot is root\'s inside');
    t.equal(v.write, 'ok', 'root inside writes to its rootfs');
    t.not(v.ns, fs.readlinkSync('/proc/self/ns/user'), 'a user namespace of its own');
  });

  t.test('run --detach: a running task', async (t) => {
    argvLogMark('ctr run --detach');
    const r = ctr(c, NS, ['run', '--detach', ...runFlags, ref, detached, 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done']);
    t.equal(r.status, 0, describe(r));
    t.equal(taskStatus(c, NS, detached)?.status, 'RUNNING', 'ctr task ls says RUNNING');
  });

  t.test('task exec: output and exit code', async (t) => {
    argvLogMark('ctr task exec');
    const r = ctr(c, NS, ['task', 'exec', '--exec-id', 'e1', detached, 'sh', '-c', 'echo in $PWD as $(id -u); exit 4']);
    t.equal(r.status, 4, `exit code of the exec'd process: ${describe(r)}`);
    t.equal(r.stdout, 'in / as 0\n');
  });

  t.test('task exec -t: a terminal', async (t) => {
    argvLogMark('ctr task exec -t');
    const r = runInTerminal([CTR, '--address', c.address, '--namespace', NS, 'task', 'exec', '-t', '--exec-id', 'e2', detached,
      'sh', '-c', 'tty; [ -t 1 ] && echo stdout-is-a-tty; exit 5']);
    t.equal(r.status, 5, describe(r));
    t.match(lf(r.stdout), /^\/dev\/pts\/\d+\nstdout-is-a-tty\n/, 'stdin and stdout are a terminal');
  });

  t.test('task ps: the init process', async (t) => {
    argvLogMark('ctr task ps');
    const pid = taskStatus(c, NS, detached)?.pid;
    const r = ctr(c, NS, ['task', 'ps', detached]);
    t.equal(r.status, 0, describe(r));
    t.ok(pid !== undefined && pid > 0, 'task ls gives a pid');
    t.match(r.stdout, new RegExp(`^${pid}\\s`, 'm'), 'ps lists it');
  });

  t.test('task pause and resume', async (t) => {
    argvLogMark('ctr task pause');
    const p = ctr(c, NS, ['task', 'pause', detached]);
    t.equal(p.status, 0, describe(p));
    t.equal(taskStatus(c, NS, detached)?.status, 'PAUSED');
    argvLogMark('ctr task resume');
    const r = ctr(c, NS, ['task', 'resume', detached]);
    t.equal(r.status, 0, describe(r));
    t.equal(taskStatus(c, NS, detached)?.status, 'RUNNING');
  });

  t.test('task kill: the task stops', async (t) => {
    argvLogMark('ctr task kill -s SIGKILL');
    const r = ctr(c, NS, ['task', 'kill', '--signal', 'SIGKILL', detached]);
    t.equal(r.status, 0, describe(r));
    t.ok(await waitFor(() => taskStatus(c, NS, detached)?.status === 'STOPPED'), 'ctr task ls says STOPPED');
  });

  t.test('task delete and container delete', async (t) => {
    argvLogMark('ctr task delete');
    const d = ctr(c, NS, ['task', 'delete', detached]);
    t.equal(d.status, 0, describe(d));
    t.equal(taskStatus(c, NS, detached), undefined, 'no task any more');
    argvLogMark('ctr container delete');
    const cd = ctr(c, NS, ['container', 'delete', detached]);
    t.equal(cd.status, 0, describe(cd));
    t.notOk(fs.existsSync(path.join(runcRoot, NS, detached)), "the runtime's state dir is gone");
  });

  t.test('nothing left behind', async (t) => {
    // Whatever a failed check left: force its tasks and containers out through the client first.
    for (const line of ctr(c, NS, ['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
      ctr(c, NS, ['task', 'delete', '--force', line]);
      ctr(c, NS, ['container', 'delete', line]);
    }
    t.same(await sb.teardown(), [], 'the runtime left no process, mount, cgroup, netns or container state');
    for (const f of sb.clientFiles) t.comment(`containerd's own, removed, not a leak: ${f}`);
  });
});
