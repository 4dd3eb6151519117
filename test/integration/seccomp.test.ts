// linux.seccomp for real (root): podman's default profile and one equivalent to Docker's, the
// default errno, argument conditions, KILL_PROCESS, unknown names, create-time refusals and a
// NOTIFY listener receiving the fd. A small static C probe (bound in at /probe) makes the raw
// syscalls and prints the errno each returned, so the errno seen is the filter's, not busybox's.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import {
  assertCleanError, assertNoLeaks, bindShared, cleanupRoot, makeStateRoot, quiet, runScript, sharedDir, skipReason,
} from '../lib/harness';

const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';
const havePodman = fs.existsSync(PODMAN_PROFILE);
const haveGcc = spawnSync('gcc', ['--version']).status === 0;
const skip = skipReason || (!haveGcc ? 'gcc is needed to build the syscall probe (scripts/install-deps.sh)' : false);
const skipPodman = skip || (!havePodman ? `${PODMAN_PROFILE} is missing (apt-get install golang-github-containers-common)` : false);

// One line per call: "<name> <errno>" (0 = success).
const PROBE_C = `
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
static void out(const char *n, long r) { printf("%s %d\\n", n, r < 0 ? errno : 0); fflush(stdout); }
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "unshare")) out(a, unshare(CLONE_NEWNS));
    else if (!strcmp(a, "mount")) out(a, mount("none", "/mnt", "tmpfs", 0, NULL));
    else if (!strcmp(a, "keyctl")) out(a, syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0));
    else if (!strcmp(a, "getppid")) out(a, syscall(SYS_getppid));
    else if (!strcmp(a, "syslog")) out(a, syscall(SYS_syslog, 10 /* SIZE_BUFFER */, 0, 0));
    else if (!strncmp(a, "personality=", 12)) out(a, syscall(SYS_personality, strtoul(a + 12, 0, 0)));
    else if (!strncmp(a, "socket=", 7)) { int d, ty; sscanf(a + 7, "%d,%d", &d, &ty); out(a, socket(d, ty, 0)); }
    else { fprintf(stderr, "unknown probe %s\\n", a); return 2; }
  }
  return 0;
}
`;

let probeDir: string | undefined;
/** Compiles the probe once, into a dir removed when this file's tests end. */
function probe(): string {
  if (probeDir) return probeDir;
  const dir = sharedDir(t);
  fs.writeFileSync(path.join(dir, 'probe.c'), PROBE_C);
  const r = spawnSync('gcc', ['-static', '-O1', '-o', path.join(dir, 'probe'), path.join(dir, 'probe.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc: ${r.stderr}`);
  probeDir = dir;
  return dir;
}

/** Results of `/probe <calls...>` as a name -> errno map. */
function parse(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stdout.trim().split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

interface ProfileRule { names: string[]; action: string; errnoRet?: number; args?: unknown[]; includes?: { caps?: string[]; arches?: string[] }; excludes?: { caps?: string[]; arches?: string[] } }
interface Profile { defaultAction: string; defaultErrnoRet?: number; archMap?: { architecture: string; subArchitectures?: string[] }[]; syscalls: ProfileRule[] }

/**
 * containers/common's profile format -> linux.seccomp, the way podman and dockerd flatten it for
 * the runtime: architectures from archMap for this host, rules kept when their includes match the
 * container's capabilities and arch ("amd64") and their excludes do not.
 */
function flatten(p: Profile, caps: string[]): Record<string, unknown> {
  const arch = p.archMap?.find((a) => a.architecture === 'SCMP_ARCH_X86_64');
  const hit = (sel: { caps?: string[]; arches?: string[] } | undefined, all: boolean): boolean => {
    if (!sel) return all;
    const c = sel.caps?.length ? sel.caps.every((x) => caps.includes(x)) : undefined;
    const a = sel.arches?.length ? sel.arches.includes('amd64') : undefined;
    if (c === undefined && a === undefined) return all;
    return (c ?? true) && (a ?? true);
  };
  const syscalls = p.syscalls
    .filter((r) => hit(r.includes, true) && !(r.excludes && hit(r.excludes, false)))
    .map((r) => ({ names: r.names, action: r.action, ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}), ...(r.args?.length ? { args: r.args } : {}) }));
  return {
    defaultAction: p.defaultAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    architectures: arch ? [arch.architecture, ...(arch.subArchitectures ?? [])] : [],
    syscalls,
  };
}

/** Syscalls Docker's default profile (moby profiles/seccomp/default.json) allows only with
 *  CAP_SYS_ADMIN, which podman's allows to everyone, plus the keyring calls Docker never allows. */
const DOCKER_SYS_ADMIN_ONLY = ['bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick',
  'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd',
  'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare'];
const DOCKER_NEVER = ['keyctl', 'add_key', 'request_key'];

/** Docker's default profile rebuilt from podman's (Debian ships no copy of Docker's: dockerd
 *  compiles it in): EPERM by default, the CAP_SYS_ADMIN-only calls gated, clone with namespace
 *  flags masked out, clone3 ENOSYS so that libc falls back to clone. */
function dockerProfile(): Profile {
  const p = JSON.parse(fs.readFileSync(PODMAN_PROFILE, 'utf8')) as Profile;
  const gated = new Set([...DOCKER_SYS_ADMIN_ONLY, ...DOCKER_NEVER]);
  const syscalls = p.syscalls.map((r) => (r.action === 'SCMP_ACT_ALLOW' && !r.args?.length && !r.includes?.caps
    ? { ...r, names: r.names.filter((n) => !gated.has(n)) } : r)).filter((r) => r.names.length);
  syscalls.push(
    { names: DOCKER_SYS_ADMIN_ONLY, action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  );
  return { ...p, defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls };
}

function withProbe(c: any, seccomp: unknown, args: string[]): void {
  quiet(c);
  bindShared(c, probe(), '/mnt');
  c.process.args = ['sh', '-c', `/mnt/probe ${args.join(' ')}; echo sh-ok; ls / >/dev/null && cat /etc/passwd >/dev/null && echo tools-ok`];
  c.linux.seccomp = seccomp;
}

t.test("podman's default profile: ordinary programs run; unshare, mount fail", { skip: skipPodman }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const r = runScript(root, '', (c) => {
    withProbe(c, flatten(JSON.parse(fs.readFileSync(PODMAN_PROFILE, 'utf8')), c.process.capabilities.bounding), ['unshare', 'mount', 'getppid']);
  });
  t.equal(r.status, 0, r.stderr);
  const got = parse(r.stdout.split('sh-ok')[0]);
  t.not(got.unshare, 0, 'unshare(CLONE_NEWNS) fails');
  t.not(got.mount, 0, 'mount fails');
  t.equal(got.getppid, 0, 'an allowed syscall works');
  t.match(r.stdout, /sh-ok\ntools-ok/, 'sh, ls and cat run');
  assertNoLeaks(t, root);
});

t.test("Docker's default profile: unshare, mount, keyctl, syslog refused by the filter itself", { skip: skipPodman }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const r = runScript(root, '', (c) => {
    const profile = flatten(dockerProfile(), c.process.capabilities.bounding);
    // Grant CAP_SYS_ADMIN after flattening (as if dockerd had flattened for the default set): a
    // refusal can then only come from seccomp.
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_ADMIN', 'CAP_SYSLOG');
    withProbe(c, profile, ['unshare', 'mount', 'keyctl', 'syslog', 'getppid']);
  });
  t.equal(r.status, 0, r.stderr);
  const got = parse(r.stdout.split('sh-ok')[0]);
  t.same(got, { unshare: 1, mount: 1, keyctl: 1, syslog: 1, getppid: 0 }, 'EPERM (defaultErrnoRet 1) from the filter');
  t.match(r.stdout, /sh-ok\ntools-ok/, 'sh, ls and cat run');
  assertNoLeaks(t, root);
});

t.test('defaultErrnoRet is what a syscall outside the allow-list returns', { skip: skipPodman }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const r = runScript(root, '', (c) => {
    const p = flatten(JSON.parse(fs.readFileSync(PODMAN_PROFILE, 'utf8')), c.process.capabilities.bounding) as any;
    p.defaultErrnoRet = 95; // EOPNOTSUPP: not an errno these calls return on their own
    p.syscalls = p.syscalls.map((s: any) => ({ ...s, names: s.names.filter((n: string) => n !== 'keyctl' && n !== 'getppid') }));
    withProbe(c, p, ['keyctl', 'getppid']);
  });
  t.equal(r.status, 0, r.stderr);
  t.same(parse(r.stdout.split('sh-ok')[0]), { keyctl: 95, getppid: 95 });
  t.match(r.stdout, /tools-ok/);
  assertNoLeaks(t, root);
});

t.test('argument conditions: same index ORed, different indices ANDed; errnoRet; unknown names skipped', { skip }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const r = runScript(root, '', (c) => withProbe(c, {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['personality', 'no_such_syscall_tsrun'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [
        { index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 9, op: 'SCMP_CMP_EQ' }] },
      // socket(AF_UNIX=1, SOCK_DGRAM=2): both conditions must hold.
      { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [
        { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 0xf, valueTwo: 2, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['getppid'], action: 'SCMP_ACT_ERRNO' },
    ],
  }, ['personality=8', 'personality=9', 'personality=0xffffffff', 'socket=1,2', 'socket=1,1', 'socket=2,2', 'getppid']));
  t.equal(r.status, 0, r.stderr);
  t.same(parse(r.stdout.split('sh-ok')[0]), {
    'personality=8': 13, 'personality=9': 13, 'personality=0xffffffff': 0,
    'socket=1,2': 22, 'socket=1,1': 0, 'socket=2,2': 0, getppid: 1,
  }, 'EPERM when errnoRet is absent');
  assertNoLeaks(t, root);
});

t.test('SCMP_ACT_KILL_PROCESS kills the container: 128+SIGSYS', { skip }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const r = runScript(root, '', (c) => {
    withProbe(c, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_KILL_PROCESS' }] }, ['getppid']);
    c.process.args = ['/mnt/probe', 'getppid'];
  });
  t.equal(r.status, 159, `exit ${r.status}: ${r.stderr}`);
  assertNoLeaks(t, root);
});

t.test('without no_new_privs the filter is loaded before the capability drop and still applies', { skip }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const r = runScript(root, '', (c) => {
    withProbe(c, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 }] }, ['getppid']);
    c.process.noNewPrivileges = false;
    c.process.args = ['sh', '-c', '/mnt/probe getppid; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'];
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /getppid 77\nNoNewPrivs:\s+0\nSeccomp:\s+2/);
  assertNoLeaks(t, root);
});

t.test('create refuses what it cannot apply, naming the field, and leaves nothing behind', { skip: skipReason }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const cases: Array<[unknown, RegExp]> = [
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }, /\/linux\/seccomp\/syscalls\/0\/errnoRet/],
    [{ defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 1 }, /\/linux\/seccomp\/defaultErrnoRet/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_NOPE'] }, /\/linux\/seccomp\/architectures\/0/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }] }, /\/linux\/seccomp\/listenerPath/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, /\/linux\/seccomp\/flags\/0/],
  ];
  for (const [seccomp, re] of cases) {
    const r = runScript(root, 'echo ran', (c) => {
      quiet(c);
      c.linux.seccomp = seccomp;
    });
    if (re.source.includes('flags') && r.status === 0) {
      t.comment('this libseccomp supports WAIT_KILLABLE_RECV: nothing to refuse');
      continue;
    }
    t.not(r.status, 0, `refused: ${JSON.stringify(seccomp)}`);
    t.notMatch(r.stdout, /ran/);
    assertCleanError(t, r, re);
  }
  assertNoLeaks(t, root);
});

const PY_LISTENER = `
import json, os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
out = {"msg": json.loads(msg), "nfds": len(fds), "link": os.readlink("/proc/self/fd/%d" % fds[0]) if fds else None}
open(sys.argv[2], "w").write(json.dumps(out))
for fd in fds: os.close(fd)  # no listener any more: notified syscalls now fail with ENOSYS
conn.close()
`;

t.test('SCMP_ACT_NOTIFY: the listener gets the notify fd and the container process state', { skip }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const dir = sharedDir(t);
  const sock = path.join(dir, 'listener.sock');
  const result = path.join(dir, 'result.json');
  const py = spawn('python3', ['-c', PY_LISTENER, sock, result], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => py.kill());
  await new Promise<void>((res) => py.stdout.once('data', () => res()));
  const r = runScript(root, '', (c) => {
    withProbe(c, {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: sock,
      listenerMetadata: 'hello-listener',
      syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }],
    }, ['getppid']);
    c.annotations = { 'org.example.k': 'v' };
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /getppid 38\n/, 'with the listener gone the notified syscall gets ENOSYS');
  await new Promise<void>((res) => (py.exitCode !== null ? res() : py.once('exit', () => res())));
  const got = JSON.parse(fs.readFileSync(result, 'utf8'));
  t.equal(got.nfds, 1, 'one fd in SCM_RIGHTS');
  t.match(got.link, /seccomp/, `it is a seccomp notify fd (${got.link})`);
  t.same(got.msg.fds, ['seccompFd']);
  t.equal(got.msg.metadata, 'hello-listener');
  t.equal(got.msg.ociVersion, got.msg.state.ociVersion);
  t.match(got.msg.state, { status: 'created', annotations: { 'org.example.k': 'v' } });
  t.ok(got.msg.pid > 1 && got.msg.state.pid === got.msg.pid, 'pid as the host sees it');
  t.match(got.msg.state.id, /^run-/);
  t.ok(path.isAbsolute(got.msg.state.bundle), 'absolute bundle path');
  assertNoLeaks(t, root);
});
