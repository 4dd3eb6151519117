// podman (root, cgroupfs, conmon) with the runtime under test: private --root/--runroot, a
// containers.conf naming the runtime (test/clients/lib/podman.ts), the busybox test image brought
// in with `podman import`, every container with --network none. Checks: run, exit code, -e,
// --user, --read-only, --memory, --pids-limit, exec, run -t, pause, stop, --uidmap, rm -f; then that the
// runtime left nothing on the machine (podman's own first-run files are podman's: lib/podman.ts).
// Then rootless podman: a user made for the test (test/lib/test-user.ts) runs podman with the
// runtime: run --rm, exec, stop, rm, the container's ids mapped through its /etc/subuid range.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { asUser, makeTestUser, removeTestUser, testUserSkipReason, unprivilegedUsernsSkipReason, type TestUser } from '../lib/test-user';
import { describe, lf, runInTerminal } from './lib/exec';
import { buildTestImage } from './lib/image';
import {
  CONMON, PODMAN, PODMAN_CGROUP_PARENT, PODMAN_CLIENT_PATHS, PODMAN_RUNTIME_ROOTS, PODMAN_SHARED_CGROUPS, podman, podmanArgv, setupPodman,
} from './lib/podman';
import { argvLogMark, clientSkipReason, RUNTIME, runtimeForClient } from './lib/runtime';
import { cgroupValue } from './lib/host-cgroup';
import { Sandbox } from './lib/sandbox';
import { waitFor } from './lib/wait';

const skip = clientSkipReason([PODMAN, CONMON]);
const IMAGE = 'localhost/tsclients-busybox:latest';

t.test(`podman with ${RUNTIME}`, { skip }, async (t) => {
  const sb = new Sandbox('podman', {
    cgroups: [PODMAN_CGROUP_PARENT],
    runtimeRoots: PODMAN_RUNTIME_ROOTS,
    clientPaths: PODMAN_CLIENT_PATHS,
    sharedChildCgroups: PODMAN_SHARED_CGROUPS,
  });
  t.teardown(() => sb.teardown());
  const img = buildTestImage(sb.path('image', true));
  const p = setupPodman(sb, runtimeForClient(sb.dir));
  const pm = (args: string[]) => podman(p, args);
  const inspect = (name: string, fmt: string) => pm(['inspect', '--format', fmt, name]).stdout.trim();
  /** Remembers a container's runtime state dir, which must be gone at the end (also where the root already existed). */
  const track = (name: string) => {
    const id = inspect(name, '{{.Id}}');
    if (id !== '') for (const r of PODMAN_RUNTIME_ROOTS) sb.expectGone(`${r}/${id}`);
  };

  const imp = pm(['import', img.rootfsTar, IMAGE]);
  t.equal(imp.status, 0, `image imported: ${describe(imp)}`);
  const runArgs = ['run', '--network', 'none'];

  t.test('run: output', async (t) => {
    argvLogMark('podman run --rm');
    const r = pm([...runArgs, '--rm', IMAGE, 'echo', 'hello from podman']);
    t.equal(r.status, 0, describe(r));
    t.equal(r.stdout, 'hello from podman\n');
  });

  t.test('run: exit code', async (t) => {
    argvLogMark('podman run (exit 3)');
    const r = pm([...runArgs, '--name', 'exit3', IMAGE, 'sh', '-c', 'exit 3']);
    track('exit3');
    t.equal(r.status, 3, describe(r));
    t.equal(inspect('exit3', '{{.State.ExitCode}}'), '3', 'podman inspect has the exit code');
    argvLogMark('podman rm');
    const rm = pm(['rm', 'exit3']);
    t.equal(rm.status, 0, describe(rm));
  });

  t.test('run -e', async (t) => {
    argvLogMark('podman run -e');
    const r = pm([...runArgs, '--rm', '-e', 'GREETING=hi there', IMAGE, 'sh', '-c', 'echo "$GREETING"']);
    t.equal(r.status, 0, describe(r));
    t.equal(r.stdout, 'hi there\n');
  });

  t.test('run --user', async (t) => {
    argvLogMark('podman run --user');
    const r = pm([...runArgs, '--rm', '--user', '1000:1000', IMAGE, 'id']);
    t.equal(r.status, 0, describe(r));
    t.match(r.stdout, /^uid=1000\(tsuser\) gid=1000\(tsuser\)/);
  });

  t.test('run --read-only', async (t) => {
    argvLogMark('podman run --read-only');
    // podman's --read-only keeps tmpfs mounts on /tmp, /var/tmp and /run (--read-only-tmpfs).
    const r = pm([...runArgs, '--rm', '--read-only', IMAGE, 'sh', '-c', 'touch /x 2>/dev/null || echo root-refused; touch /tmp/y && echo tmp-ok']);
    t.equal(r.status, 0, describe(r));
    t.equal(r.stdout, 'root-refused\ntmp-ok\n');
  });

  t.test('run -d --memory --pids-limit: the cgroup limits', async (t) => {
    argvLogMark('podman run -d --memory 64m --pids-limit 42');
    const r = pm([...runArgs, '-d', '--name', 'long', '--memory', '64m', '--pids-limit', '42', IMAGE,
      'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.2; done']);
    track('long');
    t.equal(r.status, 0, describe(r));
    t.equal(inspect('long', '{{.State.Status}}'), 'running');
    const pid = Number(inspect('long', '{{.State.Pid}}'));
    t.ok(pid > 0, 'podman inspect gives the pid');
    if (!(pid > 0)) return;
    t.equal(cgroupValue(pid, 'memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024), '--memory: memory.limit_in_bytes');
    t.equal(cgroupValue(pid, 'pids', 'pids.max'), '42', '--pids-limit: pids.max');
  });

  // Issue 4's "done when": podman's own default seccomp profile goes through tsrun (podman always
  // sends one; tsrun loads a filter only when config.json has linux.seccomp). Podman's profile
  // (containers-common) allows unshare and mount, so the check is the filter itself, for the
  // container's process and for an exec'd one; test/clients/docker.test.ts checks a denial.
  t.test('podman\'s default seccomp profile is in force, for run and exec', async (t) => {
    const script = 'grep -E "^Seccomp(_filters)?:" /proc/self/status';
    const r = pm([...runArgs, '--rm', IMAGE, 'sh', '-c', script]);
    t.equal(r.status, 0, describe(r));
    t.match(r.stdout, /^Seccomp:\s+2\nSeccomp_filters:\s+1\n/, 'run: one seccomp filter is loaded');
    const e = pm(['exec', 'long', 'sh', '-c', script]);
    t.match(e.stdout, /^Seccomp:\s+2\nSeccomp_filters:\s+1\n/, `exec: the same: ${describe(e)}`);
    const off = pm([...runArgs, '--rm', '--security-opt', 'seccomp=unconfined', IMAGE, 'sh', '-c', script]);
    t.match(off.stdout, /^Seccomp:\s+0\n/, 'and none with seccomp=unconfined (so the check can fail)');
  });

  // The runtime's error reaches the user: the client reads the last error line of the runtime's
  // --log file (runc's JSON lines) and maps "executable file not found" to exit status 127.
  t.test('exec of a missing command: the runtime\'s reason and 127', async (t) => {
    const r = pm(['exec', 'long', 'no-such-command']);
    t.equal(r.status, 127, describe(r));
    t.match(r.stderr, /executable file not found in \$PATH/, 'the runtime\'s own words');
  });

  t.test('exec: output and exit code', async (t) => {
    argvLogMark('podman exec');
    const r = pm(['exec', 'long', 'sh', '-c', 'echo in $PWD as $(id -u); exit 4']);
    t.equal(r.status, 4, describe(r));
    t.equal(r.stdout, 'in / as 0\n');
  });

  t.test('run -t: a terminal', async (t) => {
    argvLogMark('podman run -t');
    const r = runInTerminal(podmanArgv(p, [...runArgs, '--rm', '-t', IMAGE, 'sh', '-c', 'tty; [ -t 1 ] && echo stdout-is-a-tty; exit 6']), { env: p.env });
    t.equal(r.status, 6, describe(r));
    t.match(lf(r.stdout), /\/dev\/pts\/\d+\nstdout-is-a-tty\n/);
  });

  t.test('pause and unpause', async (t) => {
    argvLogMark('podman pause');
    const r = pm(['pause', 'long']);
    t.equal(r.status, 0, describe(r));
    t.equal(inspect('long', '{{.State.Status}}'), 'paused');
    argvLogMark('podman unpause');
    const u = pm(['unpause', 'long']);
    t.equal(u.status, 0, describe(u));
    t.equal(inspect('long', '{{.State.Status}}'), 'running');
  });

  t.test('stop: SIGTERM reaches the process', async (t) => {
    argvLogMark('podman stop');
    const r = pm(['stop', '--time', '20', 'long']);
    t.equal(r.status, 0, describe(r));
    t.equal(inspect('long', '{{.State.Status}}'), 'exited');
    t.equal(inspect('long', '{{.State.ExitCode}}'), '7', 'the trap ran: exit code 7, not 137');
  });

  // Issue 13: rootful podman with --uidmap/--gidmap. podman gives the container a copy of the
  // image owned by the range (or id-mapped layers) and puts a "user" namespace with the maps in
  // config.json; the runtime makes it, and exec joins it.
  t.test('run --uidmap --gidmap: a user namespace, exec into it', async (t) => {
    // The mapped root must search its way to the rootfs under podman's --root in the sandbox, as
    // under /var/lib/containers (0711 and up); the sandbox is a mkdtemp dir (0700). runc needs the same.
    fs.chmodSync(sb.dir, 0o711);
    argvLogMark('podman run -d --uidmap --gidmap');
    const r = pm([...runArgs, '-d', '--name', 'userns', '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536', IMAGE, 'sleep', '1000']);
    track('userns');
    t.equal(r.status, 0, describe(r));
    const pid = Number(inspect('userns', '{{.State.Pid}}'));
    t.ok(pid > 0, 'podman inspect gives the pid');
    if (!(pid > 0)) return;
    const uids = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))?.split(/\s+/).slice(1, 5);
    t.same(uids, ['100000', '100000', '100000', '100000'], 'the host sees the mapped uid');
    t.equal(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' '), '0 100000 65536', 'uid_map as --uidmap says');
    t.not(fs.readlinkSync(`/proc/${pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'), 'a user namespace of its own');
    argvLogMark('podman exec (user namespace)');
    const e = pm(['exec', 'userns', 'sh', '-c', 'echo $(id -u) $(stat -c %u /bin/busybox) $(readlink /proc/self/ns/user) $(readlink /proc/1/ns/user)']);
    t.equal(e.status, 0, describe(e));
    const [id, owner, nsSelf, nsInit] = e.stdout.trim().split(' ');
    t.equal(id, '0', 'exec: root in the container');
    t.equal(owner, '0', 'exec: the image is root\'s inside');
    t.equal(nsSelf, nsInit, 'exec: in the container\'s user namespace');
    argvLogMark('podman rm -f (user namespace)');
    const rm = pm(['rm', '-f', '--time', '1', 'userns']);
    t.equal(rm.status, 0, describe(rm));
  });

  t.test('rm -f: a running container', async (t) => {
    const r = pm([...runArgs, '-d', '--name', 'rmf', IMAGE, 'sleep', '1000']);
    track('rmf');
    t.equal(r.status, 0, describe(r));
    argvLogMark('podman rm -f');
    const rm = pm(['rm', '-f', '--time', '1', 'rmf', 'long']);
    t.equal(rm.status, 0, describe(rm));
    const left = pm(['ps', '-a', '--format', '{{.Names}}']);
    t.equal(left.stdout.trim(), '', 'podman ps -a lists nothing');
  });

  t.test('nothing left behind', async (t) => {
    pm(['rm', '-a', '-f', '--time', '1']);
    t.same(await sb.teardown(), [], 'the runtime left no process, mount, cgroup, netns or container state');
    for (const f of sb.clientFiles) t.comment(`podman's own, removed, not a leak: ${f}`);
  });
});

// Rootless podman runs the runtime as uid 0 of a user namespace it made with newuidmap (0 -> the
// user, 1.. -> its /etc/subuid range), passing no --root: the runtime keeps its state under
// $XDG_RUNTIME_DIR (runc: .../runc, tsrun: .../tsrun). cgroups are off (cgroupfs without a
// delegated cgroup: podman itself refuses pause then, for any runtime), networking --network none.
const rootlessSkip = skip || testUserSkipReason() || (!fs.existsSync('/usr/bin/newuidmap') && 'newuidmap is not installed (Debian package uidmap)');
t.test(`rootless podman with ${RUNTIME}`, { skip: rootlessSkip }, async (t) => {
  const u: TestUser = makeTestUser('tspod');
  t.teardown(() => removeTestUser(u));
  const noUserns = unprivilegedUsernsSkipReason(u);
  const noRange = (!u.subuid || !u.subgid) && `useradd gave ${u.name} no /etc/subuid or /etc/subgid range`;
  if (noUserns || noRange) {
    // Known only once the user exists: a plan of 0 with the reason is tap's skip.
    t.plan(0, `skipped: ${noUserns || noRange}`);
    return;
  }
  const img = buildTestImage(fs.mkdtempSync(path.join(u.home, 'image-')));
  fs.chmodSync(path.dirname(img.rootfsTar), 0o755);
  const global = ['--root', path.join(u.home, 'storage'), '--runroot', path.join(u.xdg, 'runroot'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', RUNTIME];
  const pm = (args: string[]) => {
    const r = asUser(u, [PODMAN, ...global, ...args], { cwd: u.home, timeoutMs: 120_000 });
    return { ...r, cmd: `podman ${args.join(' ')} (as ${u.name})` };
  };
  const imp = pm(['import', img.rootfsTar, IMAGE]);
  t.equal(imp.status, 0, `image imported: ${describe(imp)}`);
  const runArgs = ['run', '--network', 'none'];

  t.test('run --rm: output, root inside mapped to the user and its range', async (t) => {
    const r = pm([...runArgs, '--rm', IMAGE, 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
    t.equal(r.status, 0, describe(r));
    const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    t.same(lines, ['0', `0 ${u.uid} 1`, `1 ${u.subuid?.start} ${u.subuid?.count}`]);
  });

  t.test('run -d, exec (output, exit code, a missing command), stop, rm', async (t) => {
    const r = pm([...runArgs, '-d', '--name', 'long', IMAGE, 'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.2; done']);
    t.equal(r.status, 0, describe(r));
    const pid = Number(pm(['inspect', '--format', '{{.State.Pid}}', 'long']).stdout.trim());
    t.ok(pid > 0, 'podman inspect gives the pid');
    if (pid > 0) t.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${u.uid}\\s`, 'm'), 'the host sees the user');
    const e = pm(['exec', 'long', 'sh', '-c', 'echo in $PWD as $(id -u); exit 4']);
    t.equal(e.status, 4, describe(e));
    t.equal(e.stdout, 'in / as 0\n');
    const missing = pm(['exec', 'long', 'no-such-command']);
    t.equal(missing.status, 127, describe(missing));
    t.match(missing.stderr, /executable file not found in \$PATH/, 'the runtime\'s own words');
    const stop = pm(['stop', '--time', '20', 'long']);
    t.equal(stop.status, 0, describe(stop));
    t.equal(pm(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'long']).stdout.trim(), 'exited 7', 'SIGTERM reached the trap');
    const rm = pm(['rm', 'long']);
    t.equal(rm.status, 0, describe(rm));
    t.equal(pm(['ps', '-a', '--format', '{{.Names}}']).stdout.trim(), '', 'podman ps -a lists nothing');
  });

  t.test('nothing left behind by the runtime', async (t) => {
    pm(['rm', '-a', '-f', '--time', '1']);
    // The runtime's state root under the user's XDG_RUNTIME_DIR (runc's, tsrun's, crun's name).
    for (const name of ['runc', 'tsrun', 'crun']) {
      const dir = path.join(u.xdg, name);
      if (fs.existsSync(dir)) t.same(fs.readdirSync(dir), [], `${dir} is empty`);
    }
    // Only podman's own pause process (it holds the user namespace) may still run as the user,
    // once each conmon has run its exit command (podman container cleanup) and gone: polled.
    const leftovers = (): string[] => {
      const left: string[] = [];
      for (const p of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(p)) continue;
        try {
          const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
          const mine = uid === u.uid || (uid >= (u.subuid?.start ?? 0) && uid < (u.subuid?.start ?? 0) + (u.subuid?.count ?? 0));
          const comm = fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim();
          if (mine && comm !== 'podman pause') left.push(`${p} ${comm}`);
        } catch {
          // gone
        }
      }
      return left;
    };
    await waitFor(() => leftovers().length === 0, 30_000);
    t.same(leftovers(), [], 'no process of the user but podman\'s pause process');
  });
});
