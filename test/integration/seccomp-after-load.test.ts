// An older deny-by-default seccomp profile (no openat2, clone3, faccessat2, close_range, ... but
// landlock_*; EPERM for the rest: test/lib/seccomp-profiles.ts) must not stop a container, with
// or without no_new_privs: run, create+start and exec. It used to fail every create without
// no_new_privs ("container init (cwd): openat2 /: EPERM"), because the filter was loaded before
// the cwd and argv[0] were resolved.
//
// Then the pin: strace the init stage and the exec stage, take every call the stage's thread (and
// the exec stage's spawned child, until its execve) makes after seccomp(SECCOMP_SET_MODE_FILTER),
// and fail on any that src/security/after-seccomp.ts does not list.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Test } from 'tap';
import { assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, skipReason, TSRUN, tsrun, uniqueId } from '../lib/harness';
import { olderDenyByDefaultProfile, profileSkip } from '../lib/seccomp-profiles';
import { EXEC_STAGE_AFTER_LOAD, INIT_AFTER_LOAD, SPAWN_CHILD_AFTER_LOAD } from '../../src/security/after-seccomp';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));
const skip = skipReason || profileSkip;
const haveStrace = spawnSync('strace', ['-V']).status === 0;

function oldProfileBundle(t: Test, nnp: boolean, args: string[]): string {
  return bundleFor(t, (c) => {
    quiet(c);
    c.process.args = args;
    c.process.noNewPrivileges = nnp;
    c.linux.seccomp = olderDenyByDefaultProfile();
  });
}

for (const nnp of [false, true]) {
  t.test(`an older deny-by-default profile, noNewPrivileges ${nnp}: run, create+start, exec`, { skip }, async (t) => {
    const run = tsrun(root, ['run', '-b', oldProfileBundle(t, nnp, ['sh', '-c', 'echo run-ok; grep Seccomp: /proc/self/status']), uniqueId('oldsc')]);
    t.equal(run.status, 0, `run: ${run.stderr}`);
    t.match(run.stdout, /^run-ok\nSeccomp:\s+2\n/, 'the program runs under the filter');

    const id = uniqueId('oldsc');
    const create = tsrun(root, ['create', '-b', oldProfileBundle(t, nnp, ['sleep', '600']), id]);
    t.equal(create.status, 0, `create: ${create.stderr}`);
    const start = tsrun(root, ['start', id]);
    t.equal(start.status, 0, `start: ${start.stderr}`);
    const state = JSON.parse(tsrun(root, ['state', id]).stdout || '{}');
    t.equal(state.status, 'running');
    const exec = tsrun(root, ['exec', id, 'sh', '-c', 'echo exec-ok; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status']);
    t.equal(exec.status, 0, `exec: ${exec.stderr}`);
    t.match(exec.stdout, new RegExp(`^exec-ok\\nNoNewPrivs:\\s+${nnp ? 1 : 0}\\nSeccomp:\\s+2\\n`));
    // clone3 is denied with ENOSYS (not the default EPERM) so glibc falls back to clone: a shell
    // forks its pipeline with it, and threads would be made the same way.
    const pipe = tsrun(root, ['exec', id, 'sh', '-c', 'echo a | cat']);
    t.equal(pipe.stdout, 'a\n', `a pipeline in exec: ${pipe.stderr}`);
    tsrun(root, ['delete', '--force', id]);
    assertNoLeaks(t, root);
  });
}

interface AfterLoad {
  /** Calls of the thread that loaded the filter, from the load (excluded) to its execve or exit. */
  stage: string[];
  /** Calls of the child it spawned (exec stage), until that child's execve. */
  child: string[];
}

/** Reads an `strace -f` log: the calls that followed the first real filter load. */
function callsAfterLoad(log: string): AfterLoad | undefined {
  const lines = log.split('\n').map((l) => /^(\d+)\s+(?:<\.\.\. (\w+) resumed>.*?= (-?\d+)|(\w+)\(.*?(?:= (-?\d+).*)?$)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: m[1], name: m[2] ?? m[4], resumed: m[2] !== undefined, ret: Number(m[3] ?? m[5] ?? NaN), raw: m[0] }));
  // libseccomp probes seccomp(2) with a NULL program first (EFAULT); the load carries "len=".
  const at = lines.findIndex((l) => l.name === 'seccomp' && !l.resumed && /SECCOMP_SET_MODE_FILTER, \d+, \{len=/.test(l.raw));
  if (at < 0) return undefined;
  const pid = lines[at].pid;
  const follow = (p: string, from: number): { calls: string[]; childPid?: string } => {
    const calls: string[] = [];
    let childPid: string | undefined;
    for (const l of lines.slice(from)) {
      if (l.pid !== p) continue;
      if ((l.name === 'clone' || l.name === 'clone3') && l.ret > 0) childPid = String(l.ret);
      if (l.resumed) continue;
      calls.push(l.name);
      if (l.name === 'execve' || l.name === 'exit_group') break;
    }
    return { calls, childPid };
  };
  const stage = follow(pid, at + 1);
  const child = stage.childPid ? follow(stage.childPid, at + 1).calls : [];
  return { stage: stage.calls, child };
}

/** Runs `tsrun <args>` under strace -f; returns the log. */
function straced(t: Test, args: string[]): { status: number | null; stderr: string; log: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-strace-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'strace.log');
  // Without NODE_OPTIONS, as the harness runs tsrun (tap's hooks must not reach the stages).
  const r = spawnSync('strace', ['-f', '-qq', '-o', out, '/usr/bin/env', '-u', 'NODE_OPTIONS', TSRUN, '--root', root, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, log: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '' };
}

function unlisted(calls: string[], allowed: readonly { name: string }[]): string[] {
  const names = new Set(allowed.map((a) => a.name));
  return [...new Set(calls.filter((c) => !names.has(c)))];
}

t.test('what tsrun calls after loading the filter is what src/security/after-seccomp.ts lists', { skip: skip || (!haveStrace && 'strace is not installed (scripts/install-deps.sh installs it)') }, async (t) => {
  for (const nnp of [false, true]) {
    const run = straced(t, ['run', '-b', oldProfileBundle(t, nnp, ['true']), uniqueId('sclist')]);
    t.equal(run.status, 0, `run under strace: ${run.stderr}`);
    const init = callsAfterLoad(run.log);
    if (!init) {
      t.fail('the init stage loaded no filter');
      continue;
    }
    t.comment(`init stage, noNewPrivileges ${nnp}: ${init.stage.join(' ')}`);
    t.equal(init.stage.at(-1), 'execve', 'the init stage ends in execve');
    t.same(unlisted(init.stage, INIT_AFTER_LOAD), [], 'no unlisted call in the init stage');
    // Without no_new_privs the CAP_SYS_ADMIN held for the load is dropped right after it.
    if (!nnp) t.ok(init.stage.includes('capset'), 'the held capability is released after the load');

    const id = uniqueId('sclist');
    t.equal(tsrun(root, ['run', '-d', '-b', oldProfileBundle(t, nnp, ['sleep', '600']), id]).status, 0);
    const exec = straced(t, ['exec', id, 'true']);
    t.equal(exec.status, 0, `exec under strace: ${exec.stderr}`);
    tsrun(root, ['delete', '--force', id]);
    const stage = callsAfterLoad(exec.log);
    if (!stage) {
      t.fail('the exec stage loaded no filter');
      continue;
    }
    t.comment(`exec stage, noNewPrivileges ${nnp}: ${stage.stage.join(' ')}; its child: ${stage.child.join(' ')}`);
    t.equal(stage.child.at(-1), 'execve', 'the spawned child ends in execve');
    t.same(unlisted(stage.stage, EXEC_STAGE_AFTER_LOAD), [], 'no unlisted call in the exec stage');
    t.same(unlisted(stage.child, SPAWN_CHILD_AFTER_LOAD), [], 'no unlisted call in the spawned child');
  }
  assertNoLeaks(t, root);
});
