// Host-escape hardening, each attack tried for real (root): the host's node binary behind a
// read-only mount (CVE-2019-5736), no inherited fd as a way out through /proc/self/fd
// (CVE-2024-21626), and a session keyring of the container's own.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import {
  assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, runScript, skipReason, stateOf, tsrun, uniqueId, TSRUN,
} from '../lib/harness';

t.test('the init stage runs the host node binary from a read-only mount (CVE-2019-5736)', { skip: skipReason }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const bundle = bundleFor(t, quiet);
  const id = uniqueId('exe');
  const r = tsrun(root, ['create', '--bundle', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  const pid = stateOf(root, id)?.pid as number;
  t.ok(pid > 0, 'created container has a pid');
  // The waiting init stage *is* the host's node binary. Every path to it from the container goes
  // through the mount its /proc/<pid>/exe names: that mount must be read-only (ST_RDONLY), so a
  // handle kept past execve can never be reopened for writing.
  const py = spawnSync('python3', ['-c', `import os; fd=os.open('/proc/${pid}/exe', os.O_PATH); print(os.fstatvfs(fd).f_flag & 1)`], { encoding: 'utf8' });
  if (py.error) {
    t.comment('python3 is not installed: the read-only check is skipped');
  } else {
    t.equal(py.stdout.trim(), '1', "the init stage's executable is on a read-only mount");
    const self = spawnSync('python3', ['-c', "import os; fd=os.open('/proc/self/exe', os.O_PATH); print(os.fstatvfs(fd).f_flag & 1)"], { encoding: 'utf8' });
    t.equal(self.stdout.trim(), '0', 'control: the host view of binaries stays writable');
  }
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('an fd inherited from the caller is no way out through /proc/self/fd (CVE-2024-21626)', { skip: skipReason }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const victim = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-victim-'));
  t.teardown(() => fs.rmSync(victim, { recursive: true, force: true }));
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.cwd = '/proc/self/fd/200/escaped';
    c.process.args = ['sh', '-c', 'pwd; ls ..'];
  });
  const id = uniqueId('fd');
  // Open the victim directory as fd 200 in a shell, without close-on-exec, and run tsrun from it.
  const r = spawnSync('bash', ['-c', `exec 200<"${victim}"; exec "${TSRUN}" --root "${root}" run --bundle "${bundle}" ${id}`], { encoding: 'utf8' });
  t.not(r.status, 0, 'create refuses a cwd that is not inside the container');
  t.notMatch(r.stdout, /escaped|tsrun-victim/, 'the container never ran in the host directory');
  t.notOk(fs.existsSync(path.join(victim, 'escaped')), 'nothing was created in the host directory');
  assertNoLeaks(t, root);
});

t.test('args[0] through a magic link is refused', { skip: skipReason }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const r = runScript(root, 'true', (c) => {
    c.process.args = ['/proc/self/root/bin/true'];
  });
  t.not(r.status, 0);
  t.match(r.stderr, /magic link/);
  assertNoLeaks(t, root);
});

t.test('the container gets a session keyring of its own', { skip: skipReason }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  // /proc/keys lists the keys the reader may view; the default spec masks it, so unmask it here.
  const mine = runScript(root, 'cat /proc/keys', (c) => {
    c.linux.maskedPaths = [];
  });
  t.equal(mine.status, 0, mine.stderr);
  t.match(mine.stdout, /keyring\s+_ses\.run-/, 'a session keyring named after the container');
  const shared = runScript(root, 'cat /proc/keys', (c) => {
    c.linux.maskedPaths = [];
  });
  t.equal(shared.status, 0);
  const own = (out: string) => out.split('\n').filter((l) => / _ses\.run-/.test(l)).map((l) => l.split(' ')[0]);
  t.notSame(own(mine.stdout), own(shared.stdout), 'two containers do not share one');
  assertNoLeaks(t, root);
});

t.test('the default capability set cannot mount, change the hostname or load modules', { skip: skipReason }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  // The default spec's process: root, but only CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE.
  const r = runScript(root, [
    'mount -t tmpfs none /tmp 2>/dev/null && echo mount=ok || echo mount=refused',
    'hostname evil 2>/dev/null && echo hostname=ok || echo hostname=refused',
    'grep CapEff /proc/self/status',
    'hostname',
  ].join('; '), quiet);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /mount=refused/);
  t.match(r.stdout, /hostname=refused/);
  t.match(r.stdout, /\ntsrun\n/, 'the hostname is unchanged');
  // init_module(2)/finit_module(2) need CAP_SYS_MODULE (16); mount and sethostname CAP_SYS_ADMIN (21).
  const eff = BigInt('0x' + (/CapEff:\s*([0-9a-f]+)/.exec(r.stdout)?.[1] ?? 'ffffffffff'));
  t.equal(eff & (1n << 16n), 0n, 'no CAP_SYS_MODULE: modules cannot be loaded');
  t.equal(eff & (1n << 21n), 0n, 'no CAP_SYS_ADMIN');
  t.not(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), 'evil', 'the host hostname is untouched');
  assertNoLeaks(t, root);
});
