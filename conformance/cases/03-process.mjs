// runtime-spec config.md "Process" (except terminal/consoleSize): args, env, cwd, user (uid, gid,
// additionalGids, umask), rlimits, capabilities, noNewPrivileges, oomScoreAdj; runtime.md "fds"
// and the signal state the program starts with.
import fs from 'node:fs';
import path from 'node:path';
import { eq, includes, match, ok, succeeded } from '../lib/assert.mjs';
import { addTmpfs, unset } from '../lib/config.mjs';
import { HOST_ENV_MARKER } from '../lib/context.mjs';
import { CAP_NAMES, capMask, parseLimits, parseStatus } from '../lib/proc.mjs';

export const section = '3. process';

const CAP = { CAP_CHOWN: 0, CAP_KILL: 5, CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_SYS_ADMIN: 21 };
const STATUS = 'cat /proc/self/status';

/** A capability the kernel knows but this runtime process cannot grant (not in its bounding set), if any. */
function ungrantableCap() {
  const own = BigInt(`0x${parseStatus(fs.readFileSync('/proc/self/status', 'utf8')).CapBnd}`);
  const last = Math.min(Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')), CAP_NAMES.length - 1);
  for (let n = 0; n <= last; n++) if (!((own >> BigInt(n)) & 1n)) return CAP_NAMES[n];
  return undefined;
}

function caps(bounding, effective, permitted, inheritable, ambient) {
  return { bounding, effective, permitted, inheritable, ambient };
}
function mask(names) {
  return capMask(names.map((n) => CAP[n]));
}

export default [
  {
    name: 'process_args_required_fail',
    rule: 'config.md Process args: "(array of strings, REQUIRED)"',
    patch: (c) => unset(c, 'process.args'),
    fail: '/process/args',
  },
  {
    name: 'process_args_empty_fail',
    rule: 'config.md Process args: "This specification extends the IEEE standard in that at least one entry is REQUIRED"',
    patch: (c) => {
      c.process.args = [];
    },
    fail: '/process/args',
  },
  {
    name: 'process_args_verbatim',
    rule: 'config.md Process args: "with similar semantics to IEEE Std 1003.1-2008 execvp\'s argv" (passed as is, no shell expansion)',
    patch: (c) => {
      c.process.args = ['echo', 'a  b', '$HOME', '*'];
    },
    expect: (r) => eq(r.stdout, 'a  b $HOME *\n', 'echo output'),
  },
  {
    name: 'process_args_path_lookup',
    rule: 'config.md Process args: args[0] is resolved like execvp, through PATH from process.env (busybox "env" lives in /usr/bin)',
    patch: (c) => {
      c.process.args = ['env'];
      c.process.env = ['PATH=/usr/bin'];
    },
    expect: (r) => eq(r.stdout, 'PATH=/usr/bin\n', 'env output'),
  },
  {
    name: 'process_args_absolute',
    rule: 'config.md Process args: an absolute args[0] is executed directly',
    patch: (c) => {
      c.process.args = ['/bin/busybox', 'echo', 'absolute ok'];
    },
    expect: (r) => eq(r.stdout, 'absolute ok\n', 'output'),
  },
  {
    name: 'process_args_not_found_fail',
    rule: 'runtime.md create: an args[0] that cannot be found in the container is a property that cannot be applied (tsrun resolves it before create returns, like runc)',
    patch: (c) => {
      c.process.args = ['conf-no-such-command'];
    },
    fail: 'conf-no-such-command',
  },
  {
    name: 'process_args_not_in_config_path_fail',
    rule: 'config.md Process args: lookup uses the container\'s PATH (process.env), not the runtime\'s: "ls" is in /bin, which PATH=/usr/bin lacks',
    patch: (c) => {
      c.process.args = ['ls'];
      c.process.env = ['PATH=/usr/bin'];
    },
    fail: 'ls',
  },
  {
    name: 'process_env_exact',
    rule: 'config.md Process env: "(array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008\'s environ": exactly these variables, none of the runtime\'s',
    patch: (c) => {
      c.process.args = ['/usr/bin/env'];
      c.process.env = ['PATH=/bin:/usr/bin', 'FOO=bar baz', 'EMPTY=', 'WITH_EQ=a=b'];
    },
    expect: (r) => {
      eq(r.stdout.split('\n').filter(Boolean).sort(), ['EMPTY=', 'FOO=bar baz', 'PATH=/bin:/usr/bin', 'WITH_EQ=a=b'], 'environment');
      ok(!r.stdout.includes(HOST_ENV_MARKER), 'the runtime\'s environment leaked in');
    },
  },
  {
    name: 'process_cwd',
    rule: 'config.md Process cwd: "(string, REQUIRED) is the working directory that will be set for the executable"',
    script: 'pwd',
    patch: (c) => {
      c.process.cwd = '/dev';
    },
    expect: (r) => eq(r.stdout, '/dev\n', 'pwd'),
  },
  {
    name: 'process_cwd_required_fail',
    rule: 'config.md Process cwd: "(string, REQUIRED)"',
    patch: (c) => unset(c, 'process.cwd'),
    fail: '/process/cwd',
  },
  {
    name: 'process_cwd_absolute_fail',
    rule: 'config.md Process cwd: "This value MUST be an absolute path."',
    patch: (c) => {
      c.process.cwd = 'tmp';
    },
    fail: '/process/cwd',
  },
  {
    name: 'process_cwd_created_if_missing',
    rule: 'config.md Process cwd (runc-compatible): a missing working directory is created (here on a tmpfs) rather than failing',
    script: 'pwd',
    patch: (c) => {
      addTmpfs(c, '/tmp', ['size=1m']);
      c.process.cwd = '/tmp/a/b';
    },
    expect: (r) => eq(r.stdout, '/tmp/a/b\n', 'pwd'),
  },
  {
    name: 'process_user_ids',
    rule: 'config.md POSIX process user: uid, gid "in the container namespace" and additionalGids "to be added to the process"',
    script: STATUS,
    patch: (c) => {
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [1001, 65534] };
      c.process.capabilities = caps([], [], [], [], []);
    },
    expect: (r) => {
      const s = parseStatus(r.stdout);
      eq(s.Uid.split(/\s+/), ['1000', '1000', '1000', '1000'], 'Uid (real, effective, saved, fs)');
      eq(s.Gid.split(/\s+/), ['1000', '1000', '1000', '1000'], 'Gid (real, effective, saved, fs)');
      eq(s.Groups.split(/\s+/).sort(), ['1001', '65534'], 'Groups');
    },
  },
  {
    name: 'process_user_no_additional_gids',
    rule: 'config.md POSIX process user: without additionalGids the process has no supplementary groups (none inherited from the runtime)',
    script: STATUS,
    patch: (c) => {
      c.process.user = { uid: 1000, gid: 1001 };
    },
    expect: (r) => {
      const s = parseStatus(r.stdout);
      eq(s.Uid.split(/\s+/)[0], '1000', 'uid');
      eq(s.Gid.split(/\s+/)[0], '1001', 'gid');
      eq(s.Groups, '', 'Groups');
    },
  },
  {
    name: 'process_user_uid_required_fail',
    rule: 'config.md POSIX process user: "uid (int, REQUIRED)"',
    patch: (c) => unset(c, 'process.user.uid'),
    fail: '/process/user',
  },
  {
    name: 'process_umask',
    rule: 'config.md POSIX process user: "umask (int, OPTIONAL) [v1.0.2] specifies the umask of the user"',
    script: 'umask',
    patch: (c) => {
      c.process.user.umask = 0o027;
    },
    expect: (r) => eq(r.stdout, '0027\n', 'umask'),
  },
  {
    name: 'process_umask_unset_inherited',
    rule: 'config.md POSIX process user umask: "If unspecified, the umask should not be changed from the calling process\' umask."',
    run: (ctx) => {
      ctx.config.process.args = ['sh', '-c', 'umask'];
      const r = ctx.run({ shellPrefix: 'umask 0013' });
      succeeded(r, 'tsrun run');
      eq(r.stdout, '0013\n', 'umask inside (tsrun called with umask 0013)');
    },
  },
  {
    name: 'process_rlimits',
    rule: 'config.md POSIX process rlimits: "the runtime MUST ... set the limits" so that getrlimit reports soft and hard as configured',
    script: 'cat /proc/self/limits',
    patch: (c) => {
      c.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 123, hard: 456 },
        { type: 'RLIMIT_CORE', soft: 1024, hard: 2048 },
        { type: 'RLIMIT_MSGQUEUE', soft: 4096, hard: 8192 },
        { type: 'RLIMIT_NICE', soft: 0, hard: 0 },
      ];
    },
    expect: (r) => {
      const l = parseLimits(r.stdout);
      eq(l['Max open files'], { soft: '123', hard: '456' }, 'RLIMIT_NOFILE');
      eq(l['Max core file size'], { soft: '1024', hard: '2048' }, 'RLIMIT_CORE');
      eq(l['Max msgqueue size'], { soft: '4096', hard: '8192' }, 'RLIMIT_MSGQUEUE');
      eq(l['Max nice priority'], { soft: '0', hard: '0' }, 'RLIMIT_NICE');
    },
  },
  {
    name: 'process_rlimits_unknown_type_fail',
    rule: 'config.md POSIX process rlimits type: "the runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface"',
    patch: (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_CONF_NOPE', soft: 1, hard: 1 }];
    },
    fail: '/process/rlimits/0/type',
  },
  {
    name: 'process_rlimits_duplicate_fail',
    rule: 'config.md POSIX process rlimits: "If rlimits contains duplicated entries with same type, the runtime MUST generate an error."',
    patch: (c) => {
      c.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 10, hard: 10 },
        { type: 'RLIMIT_NOFILE', soft: 20, hard: 20 },
      ];
    },
    fail: '/process/rlimits/1',
  },
  {
    name: 'process_capabilities_root',
    rule: 'config.md Linux process capabilities: bounding, effective, permitted sets applied (uid 0: the kernel adds bounding to permitted/effective at execve)',
    script: STATUS,
    patch: (c) => {
      c.process.capabilities = caps(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'], ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'], ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'], [], []);
    },
    expect: (r) => {
      const s = parseStatus(r.stdout);
      const want = mask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
      eq({ CapBnd: s.CapBnd, CapPrm: s.CapPrm, CapEff: s.CapEff, CapInh: s.CapInh, CapAmb: s.CapAmb }, { CapBnd: want, CapPrm: want, CapEff: want, CapInh: mask([]), CapAmb: mask([]) }, 'capability sets');
    },
  },
  {
    name: 'process_capabilities_ambient_nonroot',
    rule: 'config.md Linux process capabilities: inheritable and ambient sets; for a non-root user only ambient caps survive execve into permitted/effective',
    script: STATUS,
    patch: (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.capabilities = caps(
        ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
        ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ['CAP_NET_BIND_SERVICE'],
      );
    },
    expect: (r) => {
      const s = parseStatus(r.stdout);
      eq(
        { CapBnd: s.CapBnd, CapInh: s.CapInh, CapPrm: s.CapPrm, CapEff: s.CapEff, CapAmb: s.CapAmb },
        {
          CapBnd: mask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']),
          CapInh: mask(['CAP_KILL', 'CAP_NET_BIND_SERVICE']),
          CapPrm: mask(['CAP_NET_BIND_SERVICE']),
          CapEff: mask(['CAP_NET_BIND_SERVICE']),
          CapAmb: mask(['CAP_NET_BIND_SERVICE']),
        },
        'capability sets',
      );
    },
  },
  {
    name: 'process_capabilities_enforced',
    rule: 'config.md Linux process capabilities: a capability outside the sets is really unavailable (chown without CAP_CHOWN fails, hostname without CAP_SYS_ADMIN fails)',
    script: 'hostname other-name 2>&1; echo rc=$?',
    patch: (c) => {
      c.process.capabilities = caps(['CAP_KILL'], ['CAP_KILL'], ['CAP_KILL'], [], []);
    },
    expect: (r) => match(r.stdout, /rc=1\n$/, 'sethostname without CAP_SYS_ADMIN'),
  },
  {
    name: 'process_capabilities_unknown_warning',
    rule: 'config.md Linux process capabilities: a value that "cannot be mapped to a relevant kernel interface ... MUST be logged as a warning by the runtime. Runtimes SHOULD NOT fail"',
    script: 'echo started',
    patch: (c) => {
      c.process.capabilities.bounding.push('CAP_CONF_NOPE');
      c.process.capabilities.permitted.push('CAP_CONF_NOPE');
    },
    expect: (r) => {
      eq(r.stdout, 'started\n', 'stdout');
      includes(r.stderr, 'CAP_CONF_NOPE', 'warning on stderr');
    },
  },
  {
    name: 'process_capabilities_ungrantable_warning',
    rule: 'config.md Linux process capabilities: a value that "cannot be granted otherwise MUST be logged as a warning by the runtime. Runtimes SHOULD NOT fail if the container configuration requests capabilities that cannot be granted" (one missing from the runtime\'s own bounding set)',
    skip: () => (ungrantableCap() ? false : 'the runtime\'s bounding set holds every capability up to cap_last_cap'),
    script: STATUS,
    patch: (c) => {
      const cap = ungrantableCap();
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set] = ['CAP_KILL', cap];
    },
    expect: (r) => {
      const cap = ungrantableCap();
      ok(cap, 'no capability outside the runtime\'s bounding set');
      includes(r.stderr, cap, 'warning on stderr');
      eq(parseStatus(r.stdout).CapBnd, mask(['CAP_KILL']), 'CapBnd (the grantable part)');
    },
  },
  {
    name: 'process_no_new_privileges',
    rule: 'config.md Linux process noNewPrivileges: "setting noNewPrivileges to true prevents the process from gaining additional privileges" (prctl PR_SET_NO_NEW_PRIVS)',
    script: STATUS,
    patch: (c) => {
      c.process.noNewPrivileges = true;
    },
    expect: (r) => eq(parseStatus(r.stdout).NoNewPrivs, '1', 'NoNewPrivs'),
  },
  {
    name: 'process_no_new_privileges_false',
    rule: 'config.md Linux process noNewPrivileges: false (the default) leaves the flag unset',
    script: STATUS,
    patch: (c) => {
      c.process.noNewPrivileges = false;
    },
    expect: (r) => eq(parseStatus(r.stdout).NoNewPrivs, '0', 'NoNewPrivs'),
  },
  {
    name: 'process_oom_score_adj',
    rule: 'config.md Linux process oomScoreAdj: "adjusts the oom-killer score in [pid]/oom_score_adj for the process\'s [pid]"',
    script: 'cat /proc/self/oom_score_adj',
    patch: (c) => {
      c.process.oomScoreAdj = 321;
    },
    expect: (r) => eq(r.stdout, '321\n', 'oom_score_adj'),
  },
  {
    name: 'process_oom_score_adj_unset_inherited',
    rule: 'config.md Linux process oomScoreAdj: "If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj."',
    run: (ctx) => {
      ctx.config.process.args = ['sh', '-c', 'cat /proc/self/oom_score_adj'];
      delete ctx.config.process.oomScoreAdj;
      const r = ctx.run({ shellPrefix: 'echo 123 > /proc/self/oom_score_adj' });
      succeeded(r, 'tsrun run');
      eq(r.stdout, '123\n', 'oom_score_adj inside (tsrun called with 123)');
    },
  },
  {
    name: 'process_fds_only_std',
    rule: 'runtime.md / runc: only fds 0, 1, 2 are open in the container process by default (an extra fd open in the caller is not passed)',
    run: (ctx) => {
      ctx.config.process.args = ['ls', '/proc/self/fd'];
      const extra = fs.openSync(path.join(ctx.work, 'extra-fd'), 'w');
      try {
        const r = ctx.run({ stdio: ['pipe', 'pipe', 'pipe', extra, extra] });
        succeeded(r, 'tsrun run');
        // ls lists the fd it opened on /proc/self/fd itself (3) too.
        eq(r.stdout.split(/\s+/).filter(Boolean).sort(), ['0', '1', '2', '3'], 'fds of the container process (ls /proc/self/fd)');
      } finally {
        fs.closeSync(extra);
      }
    },
  },
  {
    name: 'process_preserve_fds',
    rule: 'runc-compatible --preserve-fds N: fds 3..3+N-1 of the caller are passed to the container process with the same numbers',
    run: (ctx) => {
      fs.writeFileSync(path.join(ctx.work, 'preserved'), 'preserved content\n');
      // ls lists its own directory fd as well: 0 1 2, the preserved 3, then 4.
      ctx.config.process.args = ['sh', '-c', 'ls /proc/self/fd | tr "\\n" " "; echo; cat <&3'];
      const fd = fs.openSync(path.join(ctx.work, 'preserved'), 'r');
      try {
        const r = ctx.run({ flags: ['--preserve-fds', '1'], stdio: ['pipe', 'pipe', 'pipe', fd] });
        succeeded(r, 'tsrun run');
        eq(r.stdout, '0 1 2 3 4 \npreserved content\n', 'fds (ls /proc/self/fd) and the content read from fd 3');
      } finally {
        fs.closeSync(fd);
      }
    },
  },
  {
    name: 'process_signals_default',
    rule: 'runtime.md process start: the program starts with no ignored and no blocked signals (Node ignores SIGPIPE/SIGXFSZ; ignored dispositions survive execve)',
    // cat itself, not sh: busybox ash ignores SIGQUIT in its own process.
    patch: (c) => {
      c.process.args = ['cat', '/proc/self/status'];
    },
    expect: (r) => {
      const s = parseStatus(r.stdout);
      eq(s.SigIgn, '0000000000000000', 'SigIgn of the container process');
      eq(s.SigBlk, '0000000000000000', 'SigBlk of the container process');
    },
  },
  {
    name: 'process_absent_create_ok',
    rule: 'config.md Process: "(object, OPTIONAL)": a config without process still creates (start then errors, see start_without_process_fail)',
    run: (ctx) => {
      delete ctx.config.process;
      succeeded(ctx.create(), 'tsrun create');
      eq(ctx.state().status, 'created', 'status');
    },
  },
];
