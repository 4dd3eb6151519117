// The container process (config.md "Process", "User", "POSIX process"; runtime.md "fds"), seen
// from inside: args resolved through PATH, env exactly as configured, cwd, ids, umask, rlimits,
// the five capability sets, no_new_privs, signal dispositions, open fds, oom_score_adj; and from
// outside: the init stage is not dumpable while it waits for `start`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, collect, copyRootfs, makeStateRoot, quiet,
  sharedDir, skipReason, stateOf, tsrun, tsrunSpawn, uniqueId,
} from '../lib/harness';
import { CAPABILITIES } from '../../src/security/capability-table';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

/** Lines "Key:\tvalue" of /proc/<pid>/status as a map. */
function statusMap(text: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of text.split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) o[l.slice(0, i)] = l.slice(i + 1).trim();
  }
  return o;
}

/** The 16-hex-digit mask /proc/<pid>/status prints for a set of capability names. */
function capMask(names: string[]): string {
  let m = 0n;
  for (const n of names) m |= 1n << BigInt(CAPABILITIES[n]);
  return m.toString(16).padStart(16, '0');
}

/** `tsrun run` (foreground) of the default spec with process.args = args (no shell unless asked), plus `mutate`. */
function run(t: Parameters<typeof bundleFor>[0], args: string[], mutate: (c: any) => void = () => {}, env?: NodeJS.ProcessEnv) {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = args;
    mutate(c);
  });
  return tsrun(root, ['run', '-b', bundle, uniqueId('proc')], { env });
}

t.test('args: resolved through the container PATH, relative paths, not found', { skip: skipReason }, async (t) => {
  const viaPath = run(t, ['echo', 'hi'], (c) => (c.process.env = ['PATH=/nowhere:/bin']));
  t.equal(viaPath.status, 0, viaPath.stderr);
  t.equal(viaPath.stdout, 'hi\n', 'echo found in the second PATH entry');
  const sbin = run(t, ['ifconfig', '-a'], (c) => (c.process.env = ['PATH=/sbin']));
  t.equal(sbin.status, 0, `a PATH of the container's own (${sbin.stderr})`);
  const noPath = run(t, ['echo', 'default'], (c) => (c.process.env = ['A=b']));
  t.equal(noPath.stdout, 'default\n', 'no PATH in env: the default search path');
  const rel = run(t, ['./bin/echo', 'relative'], (c) => (c.process.cwd = '/'));
  t.equal(rel.stdout, 'relative\n', 'a relative path with a slash is taken from cwd');
  const abs = run(t, ['/bin/echo', 'absolute']);
  t.equal(abs.stdout, 'absolute\n');

  for (const [args, re] of [
    [['no-such-program'], /exec: "no-such-program": executable file not found in \$PATH/],
    [['/bin/no-such-program'], /no-such-program.*no such file or directory/],
    [['/etc/passwd'], /permission denied/],
  ] as Array<[string[], RegExp]>) {
    const bundle = bundleFor(t, (c) => {
      quiet(c);
      c.process.args = args;
    });
    const id = uniqueId('noexec');
    const r = tsrun(root, ['create', '-b', bundle, id]);
    assertCleanError(t, r, re);
    t.equal(stateOf(root, id), undefined, `${args[0]}: no container left`);
  }
  assertNoLeaks(t, root);
});

t.test('env is exactly config.json\'s: nothing from the host leaks', { skip: skipReason }, async (t) => {
  const env = ['PATH=/bin:/usr/bin', 'FOO=bar baz', 'EMPTY=', 'MULTI=a=b=c'];
  const hostEnv = { ...process.env, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', HOME: '/root', HOST_ONLY: 'leak', NODE_OPTIONS: '--no-warnings' };
  const r = run(t, ['env'], (c) => (c.process.env = env), hostEnv);
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n').sort(), [...env].sort(), 'environ equals process.env of the config');
  assertNoLeaks(t, root);
});

t.test('cwd, and a missing cwd is created', { skip: skipReason }, async (t) => {
  const home = run(t, ['pwd'], (c) => (c.process.cwd = '/home/tsuser'));
  t.equal(home.stdout, '/home/tsuser\n', home.stderr);
  const rootfs = copyRootfs(t);
  const made = run(t, ['sh', '-c', 'pwd; stat -c "%a %u" .'], (c) => {
    c.root.path = rootfs; // root.readonly stays true: the dir is made before the root goes read-only
    c.process.cwd = '/new/work/dir';
  });
  t.equal(made.status, 0, made.stderr);
  t.equal(made.stdout, '/new/work/dir\n755 0\n', 'created (as runc does) with mode 0755');
  t.ok(fs.statSync(path.join(rootfs, 'new/work/dir')).isDirectory(), 'inside the rootfs');
  assertNoLeaks(t, root);
});

t.test('user: uid, gid, additionalGids, umask', { skip: skipReason }, async (t) => {
  const r = run(t, ['sh', '-c', 'id; umask; touch /tmp/f; stat -c "%u %g %a" /tmp/f'], (c) => {
    c.process.user = { uid: 1000, gid: 1000, additionalGids: [1001, 5], umask: 0o027 };
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] });
  });
  t.equal(r.status, 0, r.stderr);
  const [id, umask, st] = r.stdout.trim().split('\n');
  t.equal(id, 'uid=1000(tsuser) gid=1000(tsuser) groups=5(tty),1001(tsextra)');
  t.equal(umask, '0027');
  t.equal(st, '1000 1000 640', 'files are created with the ids and the umask');
  const proc = run(t, ['cat', '/proc/self/status'], (c) => {
    c.process.user = { uid: 65534, gid: 65534 };
  });
  const s = statusMap(proc.stdout);
  t.equal(s.Uid, '65534\t65534\t65534\t65534', 'real, effective, saved and fs uid');
  t.equal(s.Gid, '65534\t65534\t65534\t65534');
  t.equal(s.Groups, '', 'no supplementary groups unless listed');
  // umask unset: left alone (runc's default 0022 comes from the init process).
  const dflt = run(t, ['sh', '-c', 'umask']);
  t.equal(dflt.stdout, '0022\n');
  assertNoLeaks(t, root);
});

t.test('rlimits', { skip: skipReason }, async (t) => {
  const r = run(t, ['cat', '/proc/self/limits'], (c) => {
    c.process.rlimits = [
      { type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 },
      { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
      { type: 'RLIMIT_MSGQUEUE', soft: 8192, hard: 16384 },
    ];
  });
  t.equal(r.status, 0, r.stderr);
  const limit = (name: string) => {
    const line = r.stdout.split('\n').find((l) => l.startsWith(name)) ?? '';
    return line.slice(name.length).trim().split(/\s+/).slice(0, 2);
  };
  t.same(limit('Max open files'), ['512', '1024'], 'RLIMIT_NOFILE soft/hard');
  t.same(limit('Max core file size'), ['0', '0'], 'RLIMIT_CORE');
  t.same(limit('Max processes'), ['100', '200'], 'RLIMIT_NPROC');
  t.same(limit('Max msgqueue size'), ['8192', '16384'], 'RLIMIT_MSGQUEUE');
  const sh = run(t, ['sh', '-c', 'ulimit -n; ulimit -c'], (c) => {
    c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 300, hard: 400 }, { type: 'RLIMIT_CORE', soft: 4096, hard: 8192 }];
  });
  t.equal(sh.stdout, '300\n8\n', 'ulimit -n and -c (in 512-byte blocks) see them');
  assertNoLeaks(t, root);
});

t.test("tsrun spec's own config runs quietly: no warning about its ambient capabilities", { skip: skipReason }, async (t) => {
  // runc's default spec (before v1.2), which tsrun spec writes, lists ambient capabilities and no
  // inheritable ones, so the kernel cannot raise them. runc ignores that without a word at the
  // default log level; so does tsrun, and says it only with --debug. No quiet() here on purpose.
  const bundle = bundleFor(t, (c) => (c.process.args = ['true']));
  const r = tsrun(root, ['run', '-b', bundle, uniqueId('spec')]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'run: nothing on stderr');
  const d = tsrun(root, ['--debug', 'run', '-b', bundle, uniqueId('spec')]);
  t.equal(d.status, 0, d.stderr);
  t.match(d.stderr, /level=debug msg="ambient capabilities CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE not raised: [^"]*"/, '--debug says why');
  t.notMatch(d.stderr, /level=warning/, 'and it is no warning');

  const id = uniqueId('spec');
  const sleeper = bundleFor(t, (c) => (c.process.args = ['sleep', '60']));
  const c = tsrun(root, ['run', '-d', '-b', sleeper, id]);
  t.equal(c.status, 0, c.stderr);
  t.equal(c.stderr, '', 'run -d: nothing on stderr');
  const e = tsrun(root, ['exec', id, 'true']);
  t.equal(e.status, 0, e.stderr);
  t.equal(e.stderr, '', 'exec: nothing on stderr');
  tsrun(root, ['delete', '-f', id]);
  assertNoLeaks(t, root);
});

t.test('capabilities: the five sets in /proc/self/status', { skip: skipReason }, async (t) => {
  const caps = (c: Record<string, string[]>) => (cfg: any) => (cfg.process.capabilities = c);
  // A config the kernel keeps as it is across execve (root: permitted = bounding, effective =
  // permitted, inheritable and ambient within them): all five sets equal the config.
  const same = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN'],
    permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN'],
    effective: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN'],
    inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    ambient: ['CAP_KILL'],
  };
  const r = run(t, ['cat', '/proc/self/status'], caps(same));
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'no warning');
  const s = statusMap(r.stdout);
  for (const [key, set] of [['CapBnd', 'bounding'], ['CapPrm', 'permitted'], ['CapEff', 'effective'], ['CapInh', 'inheritable'], ['CapAmb', 'ambient']] as const) {
    t.equal(s[key], capMask(same[set]), `${key} = ${set} of the config`);
  }

  // Root with a smaller permitted set: execve computes permitted = bounding | inheritable, and
  // no_new_privs (on in the default spec) limits that to what the init had: the configured set.
  // Effective is all of permitted for uid 0 (capabilities(7), "Capabilities and execution of
  // programs by root").
  const small = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN'],
    permitted: ['CAP_CHOWN', 'CAP_KILL'],
    effective: ['CAP_KILL'],
    inheritable: ['CAP_KILL'],
    ambient: ['CAP_KILL'],
  };
  const nnp = statusMap(run(t, ['cat', '/proc/self/status'], caps(small)).stdout);
  t.equal(nnp.CapBnd, capMask(small.bounding), 'CapBnd = bounding');
  t.equal(nnp.CapPrm, capMask(small.permitted), 'no_new_privs: CapPrm = permitted of the config');
  t.equal(nnp.CapEff, capMask(small.permitted), 'CapEff = CapPrm for uid 0');
  t.equal(nnp.CapInh, capMask(small.inheritable), 'CapInh');
  t.equal(nnp.CapAmb, capMask(small.ambient), 'CapAmb');
  const free = statusMap(run(t, ['cat', '/proc/self/status'], (c) => {
    caps(small)(c);
    c.process.noNewPrivileges = false;
  }).stdout);
  t.equal(free.CapPrm, capMask([...small.bounding, ...small.inheritable]), 'without no_new_privs: CapPrm = bounding | inheritable');

  // Ungrantable capabilities are a warning, not a failure (config.md "capabilities"): an
  // inheritable one outside the bounding set, an effective one outside the permitted set.
  const odd = {
    bounding: ['CAP_CHOWN', 'CAP_KILL'],
    permitted: ['CAP_CHOWN', 'CAP_KILL'],
    effective: ['CAP_KILL', 'CAP_SYS_ADMIN'],
    inheritable: ['CAP_KILL', 'CAP_NET_RAW'],
    ambient: [],
  };
  const w = run(t, ['cat', '/proc/self/status'], caps(odd));
  t.equal(w.status, 0, `created despite ungrantable capabilities (${w.stderr.trim()})`);
  t.match(w.stderr, /level=warning.*CAP_NET_RAW/, 'warning names the inheritable one');
  t.match(w.stderr, /level=warning.*CAP_SYS_ADMIN/, 'warning names the effective one');
  t.equal(statusMap(w.stdout).CapInh, capMask(['CAP_KILL']), 'CapInh without the ungrantable one');

  // Non-root: permitted and effective after execve are exactly the ambient set.
  const userCaps = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
    permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
    effective: ['CAP_KILL'],
    inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    ambient: ['CAP_NET_BIND_SERVICE'],
  };
  const u = run(t, ['cat', '/proc/self/status'], (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.capabilities = userCaps;
  });
  t.equal(u.status, 0, u.stderr);
  const us = statusMap(u.stdout);
  t.equal(us.CapBnd, capMask(userCaps.bounding), 'uid 1000: CapBnd');
  t.equal(us.CapInh, capMask(userCaps.inheritable), 'uid 1000: CapInh');
  t.equal(us.CapAmb, capMask(userCaps.ambient), 'uid 1000: CapAmb');
  t.equal(us.CapPrm, capMask(userCaps.ambient), 'uid 1000: CapPrm = ambient');
  t.equal(us.CapEff, capMask(userCaps.ambient), 'uid 1000: CapEff = ambient');

  // No capabilities at all.
  const none = run(t, ['cat', '/proc/self/status'], (c) => {
    c.process.capabilities = { bounding: [], permitted: [], effective: [], inheritable: [], ambient: [] };
  });
  const ns = statusMap(none.stdout);
  for (const k of ['CapBnd', 'CapInh', 'CapAmb', 'CapPrm', 'CapEff']) t.equal(ns[k], '0000000000000000', `empty config: ${k} is 0`);
  // And the effect: without CAP_CHOWN root cannot chown a file it does not own.
  const eff = run(t, ['sh', '-c', 'touch /tmp/x && chown 1000 /tmp/x && chown 0 /tmp/x && echo chowned'], (c) => {
    c.process.capabilities = { bounding: [], permitted: [], effective: [], inheritable: [], ambient: [] };
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
  });
  t.notMatch(eff.stdout, /chowned/, 'no CAP_CHOWN: chown back to root fails');
  t.match(eff.stderr, /Operation not permitted/);
  assertNoLeaks(t, root);
});

t.test('noNewPrivileges, signal dispositions and mask', { skip: skipReason }, async (t) => {
  const on = statusMap(run(t, ['cat', '/proc/self/status'], (c) => (c.process.noNewPrivileges = true)).stdout);
  t.equal(on.NoNewPrivs, '1', 'noNewPrivileges true');
  const off = statusMap(run(t, ['cat', '/proc/self/status'], (c) => (c.process.noNewPrivileges = false)).stdout);
  t.equal(off.NoNewPrivs, '0', 'noNewPrivileges false');
  // Node ignores SIGPIPE and SIGXFSZ; ignored signals survive execve, so the init stage resets them.
  t.equal(on.SigIgn, '0000000000000000', 'no ignored signals (SIGPIPE not inherited from Node)');
  t.equal(on.SigBlk, '0000000000000000', 'no blocked signals');
  t.equal(on.SigCgt, '0000000000000000', 'no handlers (execve resets caught signals)');
  t.equal(on.SigPnd, '0000000000000000', 'nothing pending');
  // The effect of a default SIGPIPE: a writer to a closed pipe dies of it quietly; with SIGPIPE
  // ignored it would get EPIPE and complain ("yes: write error").
  const pipe = run(t, ['sh', '-c', 'yes | head -c 1 > /dev/null; echo end']);
  t.equal(pipe.stdout, 'end\n');
  t.equal(pipe.stderr, '', 'yes died of SIGPIPE without a write error');
  assertNoLeaks(t, root);
});

t.test('only fds 0-2 reach the program, plus --preserve-fds N', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const f3 = fs.openSync(path.join(shared, 'three'), 'w');
  const f4 = fs.openSync(path.join(shared, 'four'), 'w');
  t.teardown(() => {
    fs.closeSync(f3);
    fs.closeSync(f4);
  });
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['ls', '/proc/self/fd'];
  });
  // tsrun is started with fds 3 and 4 open; without --preserve-fds they must not reach the program.
  const plain = await collect(tsrunSpawn(root, ['run', '-b', bundle, uniqueId('fds')], ['ignore', 'pipe', 'pipe', f3, f4]));
  t.equal(plain.status, 0, plain.stderr);
  t.same(plain.stdout.trim().split('\n'), ['0', '1', '2', '3'], 'only 0 1 2 (and the fd ls opens)');

  const bundle2 = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'ls /proc/self/fd; echo three >&3; echo four >&4'];
  });
  const kept = await collect(tsrunSpawn(root, ['run', '--preserve-fds', '2', '-b', bundle2, uniqueId('fds')], ['ignore', 'pipe', 'pipe', f3, f4]));
  t.equal(kept.status, 0, kept.stderr);
  t.same(kept.stdout.trim().split('\n'), ['0', '1', '2', '3', '4', '5'], '3 and 4 preserved (5 is ls\'s own)');
  t.equal(fs.readFileSync(path.join(shared, 'three'), 'utf8'), 'three\n', 'fd 3 is the file tsrun got as fd 3');
  t.equal(fs.readFileSync(path.join(shared, 'four'), 'utf8'), 'four\n', 'fd 4 likewise');
  assertNoLeaks(t, root);
});

t.test('oomScoreAdj', { skip: skipReason }, async (t) => {
  const r = run(t, ['cat', '/proc/self/oom_score_adj'], (c) => (c.process.oomScoreAdj = 500));
  t.equal(r.stdout, '500\n', r.stderr);
  // Lowering it needs CAP_SYS_RESOURCE (proc(5)); some sandboxes run root without it. Then
  // create must fail cleanly, naming the file, as for any property it cannot apply.
  const capEff = BigInt(`0x${statusMap(fs.readFileSync('/proc/self/status', 'utf8')).CapEff}`);
  const neg = run(t, ['cat', '/proc/self/oom_score_adj'], (c) => (c.process.oomScoreAdj = -300));
  if ((capEff >> BigInt(CAPABILITIES.CAP_SYS_RESOURCE)) & 1n) {
    t.equal(neg.stdout, '-300\n', neg.stderr);
  } else {
    assertCleanError(t, neg, /oom_score_adj.*EACCES/);
  }
  // Unset: inherited from tsrun, not written.
  const own = fs.readFileSync('/proc/self/oom_score_adj', 'utf8');
  const unset = run(t, ['cat', '/proc/self/oom_score_adj'], (c) => delete c.process.oomScoreAdj);
  t.equal(unset.stdout, own, 'unset: the runtime\'s value');
  assertNoLeaks(t, root);
});

t.test('the waiting init stage is not dumpable', { skip: skipReason }, async (t) => {
  // proc(5): the files of a non-dumpable process are owned by root, whatever its uid, and
  // ptrace-mode checks (/proc/<pid>/exe, /proc/<pid>/environ) fail for other users. With a
  // container user of 1000 the created init stage already runs as uid 1000, so uid 1000 on the
  // host would own and reach /proc/<pid>/exe (the host's node binary, CVE-2019-5736) if it were
  // dumpable. After start, execve makes the program dumpable again: the same checks then pass,
  // which shows that they can tell the difference.
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.args = ['sleep', '1000'];
  });
  const id = uniqueId('dump');
  t.equal(tsrun(root, ['create', '-b', bundle, id]).status, 0);
  const pid = stateOf(root, id)?.pid as number;
  const status = statusMap(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  t.equal(status.Uid.split('\t')[0], '1000', 'the created init stage runs as uid 1000');
  t.equal(fs.statSync(`/proc/${pid}/status`).uid, 0, 'its /proc files are owned by root: not dumpable');
  const asUser = (file: string) => spawnSync('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', 'readlink', file], { encoding: 'utf8' });
  const exe = asUser(`/proc/${pid}/exe`);
  t.not(exe.status, 0, `uid 1000 cannot read /proc/<pid>/exe of the init stage (${exe.stderr.trim()})`);

  t.equal(tsrun(root, ['start', id]).status, 0);
  const after = asUser(`/proc/${pid}/exe`);
  t.equal(after.status, 0, 'after execve the program is dumpable and uid 1000 can see its exe');
  t.match(after.stdout, /busybox/, 'which is the container\'s binary');
  t.equal(fs.statSync(`/proc/${pid}/status`).uid, 1000, 'and owns its /proc files');
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});
