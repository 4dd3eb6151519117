// `tsrun exec` against real containers: runc's flags, the process it gets (namespaces, cgroup,
// identity, capabilities, no_new_privs, seccomp, fds, signals), exit statuses, --detach with a pid
// file, refusals with runc's words, and CVE-2019-5736: no process in the container reaches the
// host's node binary for writing, through /proc/<pid>/exe or a "#!/proc/self/exe" program.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import {
  assertNoLeaks, bindShared, bundleFor, cleanupRoot, collect, copyRootfs, isAlive, makeStateRoot, quiet, sharedDir,
  skipReason, tsrun, tsrunSpawn, uniqueId, waitFor,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

type TT = Parameters<typeof bundleFor>[0];

/** A running container (`sleep`), deleted at teardown. */
function started(tt: TT, mutate: (c: any) => void = () => {}, verb: 'run' | 'create' = 'run'): string {
  const bundle = bundleFor(tt, (c) => {
    quiet(c);
    c.process.args = ['sleep', '600'];
    mutate(c);
  });
  const id = uniqueId('exec');
  const r = tsrun(root, verb === 'run' ? ['run', '--detach', '--bundle', bundle, id] : ['create', '--bundle', bundle, id]);
  tt.equal(r.status, 0, `${verb}: ${r.stderr}`);
  tt.teardown(() => {
    tsrun(root, ['delete', '--force', id]);
  });
  return id;
}

function finish(tt: TT, id: string): void {
  const d = tsrun(root, ['delete', '--force', id]);
  tt.equal(d.status, 0, `delete: ${d.stderr}`);
  assertNoLeaks(tt, root);
}

t.test('exec runs a command in the container: output, exit status, namespaces, cgroup', { skip: skipReason }, async (t) => {
  const id = started(t, (c) => {
    c.hostname = 'exec-host';
  });
  const init = Number(JSON.parse(tsrun(root, ['state', id]).stdout).pid);
  const r = tsrun(root, ['exec', id, 'sh', '-c', 'hostname; echo pid-ns $(readlink /proc/self/ns/pid) mnt-ns $(readlink /proc/self/ns/mnt); cat /proc/self/cgroup; exit 7']);
  t.equal(r.status, 7, `the process's exit status is tsrun's: ${r.stderr}`);
  t.match(r.stdout, /^exec-host\n/, 'the container\'s UTS namespace');
  const ns = (p: number, n: string): string => fs.readlinkSync(`/proc/${p}/ns/${n}`);
  t.match(r.stdout, `pid-ns ${ns(init, 'pid')} mnt-ns ${ns(init, 'mnt')}`, 'the container\'s PID and mount namespaces');
  // The process is in the container's cgroups: same membership as init, seen from the host.
  const shared = sharedDir(t);
  const pidFile = path.join(shared, 'pid');
  const d = tsrun(root, ['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30']);
  t.equal(d.status, 0, d.stderr);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  t.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${init}/cgroup`, 'utf8'), 'same cgroups as init');
  const ps = tsrun(root, ['ps', '--format', 'json', id]);
  t.ok((JSON.parse(ps.stdout) as number[]).includes(pid), 'tsrun ps lists it');
  const signaled = tsrun(root, ['exec', id, 'sh', '-c', 'kill -9 $$']);
  t.equal(signaled.status, 137, 'killed by SIGKILL: 128+9');
  finish(t, id);
});

t.test('exec joins the cgroup: a pids limit counts the exec\'d processes', { skip: skipReason }, async (t) => {
  const id = started(t, (c) => {
    c.linux.resources = { ...(c.linux.resources ?? {}), pids: { limit: 3 } };
  });
  // init (1) + sh (2) + one child (3) fit; a fourth process does not.
  const r = tsrun(root, ['exec', id, 'sh', '-c', 'sleep 5 & sleep 5 & sleep 5 & wait; echo done']);
  t.match(r.stderr + r.stdout, /can't fork/, `sh ran, and the limit holds for what it forks: ${r.stdout} ${r.stderr}`);
  finish(t, id);
});

t.test('runc flags: --env, --cwd, --user, --additional-gids, --cap, --no-new-privs', { skip: skipReason }, async (t) => {
  const id = started(t, (c) => {
    c.process.env = ['PATH=/bin:/usr/bin', 'BASE=1'];
  });
  const r = tsrun(root, ['exec', '-e', 'EXTRA=two', '--cwd', '/etc', '-u', '1000:1001', '-g', '2000', '--no-new-privs', id,
    'sh', '-c', 'echo env $BASE $EXTRA; pwd; id -u; id -g; id -G; grep NoNewPrivs /proc/self/status']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^env 1 two\n\/etc\n1000\n1001\n/, 'env appended to the container\'s, cwd, uid and gid');
  t.match(r.stdout, /\b2000\b/, 'additional gid');
  t.match(r.stdout, /NoNewPrivs:\s+1/, 'no_new_privs');
  const caps = tsrun(root, ['exec', '--cap', 'CAP_SYS_ADMIN', id, 'grep', 'CapEff', '/proc/self/status']);
  const plain = tsrun(root, ['exec', id, 'grep', 'CapEff', '/proc/self/status']);
  const eff = (s: string): bigint => BigInt(`0x${s.trim().split(/\s+/)[1]}`);
  t.equal(eff(caps.stdout) & (1n << 21n), 1n << 21n, '--cap adds CAP_SYS_ADMIN (21)');
  t.equal(eff(plain.stdout) & (1n << 21n), 0n, 'without it the default set has no CAP_SYS_ADMIN');
  // Flags after the id belong to the command (runc stops parsing at the id).
  const ls = tsrun(root, ['exec', id, 'ls', '-d', '/etc']);
  t.equal(ls.stdout, '/etc\n', 'the command\'s own flags are not tsrun\'s');
  finish(t, id);
});

t.test('--process FILE, --detach and --pid-file (containerd\'s and conmon\'s way)', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const id = started(t, (c) => bindShared(c, shared));
  const proc = {
    terminal: false, user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'echo $$ > /tmp/inner; echo from-process-json > /tmp/out; sleep 600'],
    env: ['PATH=/bin', 'X=y'], cwd: '/', noNewPrivileges: true,
  };
  const pf = path.join(shared, 'process.json');
  fs.writeFileSync(pf, JSON.stringify(proc));
  const pidFile = path.join(shared, 'exec.pid');
  const r = tsrun(root, ['exec', '--process', pf, '--detach', '--pid-file', pidFile, id]);
  t.equal(r.status, 0, r.stderr);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  t.ok(pid > 0 && isAlive(pid), 'the pid file holds the live process\'s host pid');
  t.ok(await waitFor(() => fs.existsSync(path.join(shared, 'out'))), 'the process ran');
  const nspid = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s+(.*)$/m)?.[1].split(/\s+/) ?? [];
  t.equal(nspid.length, 2, 'it lives in the container\'s PID namespace (two NSpid levels)');
  t.equal(nspid[1], fs.readFileSync(path.join(shared, 'inner'), 'utf8').trim(), 'and sees itself under its container pid');
  const bad = path.join(shared, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ ...proc, cwd: 'relative' }));
  const b = tsrun(root, ['exec', '--process', bad, id]);
  t.equal(b.status, 255, 'a bad process.json fails exec');
  t.match(b.stderr, /bad\.json.*\/process\/cwd/, 'naming the file and the field');
  finish(t, id);
  t.notOk(isAlive(pid), 'delete --force kills exec\'d processes too');
});

t.test('fds, signals and seccomp of the exec\'d process', { skip: skipReason }, async (t) => {
  const id = started(t, (c) => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
  });
  const r = tsrun(root, ['exec', id, 'sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "; echo; grep -E "^Sig(Blk|Ign)" /proc/self/status; grep Seccomp: /proc/self/status; mkdir /tmp/x 2>&1; echo mkdir=$?']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^0 1 2 3 \n/, 'only 0-2 (and the fd ls itself opens) are open');
  t.match(r.stdout, /SigBlk:\s+0+\n/, 'no signal blocked');
  t.match(r.stdout, /SigIgn:\s+0+\n/, 'no signal ignored (Node ignores SIGPIPE and SIGXFSZ; glibc would ignore 32 and 33)');
  t.match(r.stdout, /Seccomp:\s+2/, 'the container\'s seccomp filter applies');
  t.match(r.stdout, /mkdir=1/, 'and denies mkdir as the profile says');

  // Signals sent to tsrun exec reach the process.
  const child = tsrunSpawn(root, ['exec', id, 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done'], ['ignore', 'pipe', 'pipe']);
  const done = collect(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  t.ok(await waitFor(() => out.includes('ready')), 'the process started');
  child.kill('SIGTERM');
  const res = await done;
  t.equal(res.status, 42, 'SIGTERM was forwarded and the trap\'s exit status returned');

  // --preserve-fds: fd 3 of tsrun exec becomes fd 3 of the process.
  const shared = sharedDir(t);
  const file = path.join(shared, 'preserved');
  fs.writeFileSync(file, 'kept\n');
  const fd = fs.openSync(file, 'r');
  const p = tsrunSpawn(root, ['exec', '--preserve-fds', '1', id, 'sh', '-c', 'cat <&3; ls /proc/self/fd | sort -n | tr "\\n" " "'], ['ignore', 'pipe', 'pipe', fd]);
  const pr = await collect(p);
  fs.closeSync(fd);
  t.equal(pr.status, 0, pr.stderr);
  t.match(pr.stdout, /^kept\n0 1 2 3 4 $/, 'fd 3 is passed, nothing else');
  finish(t, id);
});

t.test('refusals with runc\'s words: stopped, paused, missing command, no such container', { skip: skipReason }, async (t) => {
  const id = started(t);
  const p = tsrun(root, ['pause', id]);
  t.equal(p.status, 0, p.stderr);
  const paused = tsrun(root, ['exec', id, 'true']);
  t.equal(paused.status, 255);
  t.match(paused.stderr, /cannot exec in a paused container/);
  tsrun(root, ['resume', id]);
  const none = tsrun(root, ['exec', id]);
  t.equal(none.status, 255);
  t.match(none.stderr, /args must not be empty/);
  if (!fs.existsSync('/sys/kernel/security/apparmor')) {
    const aa = tsrun(root, ['exec', '--apparmor', 'some-profile', id, 'true']);
    t.equal(aa.status, 255);
    t.match(aa.stderr, /\/process\/apparmorProfile: cannot be applied: AppArmor is not enabled on this host/, '--apparmor refused by name where AppArmor is off');
  }
  const notFound = tsrun(root, ['exec', id, '/no/such/binary']);
  t.equal(notFound.status, 255);
  t.match(notFound.stderr, /no such file or directory/);
  tsrun(root, ['kill', id, 'KILL']);
  await waitFor(() => JSON.parse(tsrun(root, ['state', id]).stdout).status === 'stopped');
  const stopped = tsrun(root, ['exec', id, 'true']);
  t.equal(stopped.status, 255);
  t.match(stopped.stderr, /cannot exec in a stopped container/);
  const missing = tsrun(root, ['exec', 'no-such-container', 'true']);
  t.match(missing.stderr, /does not exist/);
  finish(t, id);
});

t.test('CVE-2019-5736: the host node binary is out of reach from the container', { skip: skipReason }, async (t) => {
  // A rootfs with the host's libraries, so that the container can run the node binary at all,
  // and an executable tmpfs for the attacker's program.
  const rootfs = copyRootfs(t);
  const id = started(t, (c) => {
    c.root = { path: rootfs, readonly: false };
    c.mounts.push(
      { destination: '/lib', type: 'bind', source: '/usr/lib', options: ['rbind', 'ro'] },
      { destination: '/lib64', type: 'bind', source: '/usr/lib64', options: ['rbind', 'ro'] },
      { destination: '/evil', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] },
    );
  });
  // The classic attack: a program whose interpreter is /proc/self/exe. When the runtime execs it,
  // the kernel runs the runtime's own binary (here: node, which runs the rest as JavaScript) and
  // the program tries to open that binary for writing. O_TRUNC makes the kernel check the mount
  // before the busy-text check: EROFS proves the read-only mount, ETXTBSY would mean a writable one.
  const evil = '#!/proc/self/exe\nconst fs = require("fs"); let r; try { fs.openSync("/proc/self/exe", "w"); r = "WRITABLE"; } catch (e) { r = e.code; } console.log("open-for-write:" + r);\n';
  const w = tsrun(root, ['exec', id, 'sh', '-c', `cat > /evil/x <<'EOF'\n${evil}EOF\nchmod +x /evil/x`]);
  t.equal(w.status, 0, w.stderr);
  const r = tsrun(root, ['exec', id, '/evil/x']);
  t.match(r.stdout, /open-for-write:EROFS/, `exec: the binary is read-only from the container: ${r.stdout} ${r.stderr}`);

  // While execs are set up, nothing in the container can read another process's exe or fds:
  // a watcher in the container tries every pid it sees, over many execs.
  const watch = tsrunSpawn(root, ['exec', '--cwd', '/', id, 'sh', '-c',
    `end=$(( $(date +%s) + 60 )); while [ ! -e /evil/stop ] && [ $(date +%s) -lt $end ]; do for p in /proc/[0-9]*; do l=$(readlink $p/exe 2>/dev/null) && case "$l" in *node*) echo "$p $l";; esac; done; done > /evil/seen; echo watched`], ['ignore', 'pipe', 'pipe']);
  const watched = collect(watch);
  for (let i = 0; i < 15; i++) tsrun(root, ['exec', id, 'true']);
  tsrun(root, ['exec', id, 'touch', '/evil/stop']);
  const wr = await watched;
  t.match(wr.stdout, /watched/, `the watcher ran: ${wr.stderr}`);
  const seen = tsrun(root, ['exec', id, 'cat', '/evil/seen']);
  t.equal(seen.stdout, '', 'no process in the container ever showed the node binary as its exe');
  finish(t, id);
});

t.test('CVE-2019-5736: a created container\'s init (node) is not reachable from an exec\'d process', { skip: skipReason }, async (t) => {
  const id = started(t, () => {}, 'create');
  const r = tsrun(root, ['exec', id, 'sh', '-c', 'readlink /proc/1/exe || echo exe-denied; n=0; for f in /proc/1/fd/*; do n=$((n+1)); readlink $f && echo fd-readable; done; echo fds-tried=$n; cat /proc/1/environ >/dev/null 2>&1 || echo environ-denied']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^exe-denied\nfds-tried=[1-9]\d*\nenviron-denied\n$/, `PID 1 (the waiting init stage) is non-dumpable: ${r.stdout}`);
  finish(t, id);
});

t.test('--preserve-fds beyond the caller\'s fds is refused: none of tsrun\'s own fds reach a container', { skip: skipReason }, async (t) => {
  const id = started(t);
  // tsrun() gives tsrun only fds 0-2, so fds 3.. are whatever Node opened for itself (epoll,
  // eventfd, libuv's signal pipe: junk written there would crash tsrun, a host root process).
  const r = tsrun(root, ['exec', '--preserve-fds', '8', id, 'sh', '-c', 'ls -l /proc/self/fd/']);
  t.equal(r.status, 255, 'exec refuses');
  t.match(r.stderr, /--preserve-fds 8: fd 3 .*(is not open in the caller|was not passed by the caller)/, r.stderr);
  t.notMatch(r.stdout, /anon_inode|pipe:/, 'nothing of tsrun\'s was listed');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['ls', '-l', '/proc/self/fd/'];
  });
  const run = tsrun(root, ['run', '--preserve-fds', '8', '-b', bundle, uniqueId('pfd')]);
  t.equal(run.status, 1, 'run refuses too');
  t.match(run.stderr, /--preserve-fds 8: fd 3 /, run.stderr);
  finish(t, id);
});
