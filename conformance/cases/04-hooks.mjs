// runtime-spec config.md "POSIX-platform Hooks" and runtime.md "Lifecycle" steps 3-13: every
// phase runs at its point, in the listed order, with the state on stdin and in the namespace the
// spec names; timeouts abort a hook; failures stop the container as v1.3.0 says.
// Hooks are `/bin/sh -c` one-liners appending "name status pid uts-ns" lines to a log file.
import fs from 'node:fs';
import path from 'node:path';
import { eq, failed, includes, match, ne, ok, succeeded } from '../lib/assert.mjs';
import { addBind } from '../lib/config.mjs';
import { makeDir } from '../lib/host-tree.mjs';

export const section = '4. Hooks';

/** A hook appending "name status pid uts-ns" (parsed from the state on stdin with sed) to `log`. */
function logHook(name, log, extra = {}) {
  const script = [
    'read -r s',
    `st=$(echo "$s" | sed -n 's/.*"status":"\\([a-z]*\\)".*/\\1/p')`,
    `pid=$(echo "$s" | sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p')`,
    `echo "${name} $st \${pid:--} $(readlink /proc/self/ns/uts)" >> ${log}`,
  ].join('; ');
  return { path: '/bin/sh', args: ['sh', '-c', script], ...extra };
}
const failHook = (code, msg) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${msg} >&2; exit ${code}`] });

function readLog(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
  } catch {
    return [];
  }
}
const names = (file) => readLog(file).map((l) => l[0]);
const hostUts = () => fs.readlinkSync('/proc/self/ns/uts');

export default [
  {
    name: 'hooks_lifecycle_order_and_state',
    rule: 'runtime.md Lifecycle 3-13: prestart, createRuntime, createContainer at create; startContainer, poststart at start; poststop at delete; the state (status, pid as seen from the hook\'s namespace) on stdin',
    run: (ctx) => {
      const shared = makeDir(ctx, 'shared');
      const log = path.join(shared, 'log');
      addBind(ctx.config, shared, '/tmp', ['rbind', 'rw']);
      ctx.config.process.args = ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done'];
      ctx.config.hooks = {
        prestart: [logHook('prestart', log)],
        createRuntime: [logHook('createRuntime', log)],
        createContainer: [logHook('createContainer', log)],
        startContainer: [logHook('startContainer', '/tmp/log')],
        poststart: [logHook('poststart', log)],
        poststop: [logHook('poststop', log)],
      };
      succeeded(ctx.create(), 'tsrun create');
      const pid = String(ctx.state().pid);
      eq(readLog(log).map((l) => l.slice(0, 3)), [['prestart', 'creating', pid], ['createRuntime', 'creating', pid], ['createContainer', 'creating', '1']], 'hooks run by create');
      succeeded(ctx.start(), 'tsrun start');
      eq(readLog(log).slice(3).map((l) => l.slice(0, 3)), [['startContainer', 'created', '1'], ['poststart', 'running', pid]], 'hooks run by start');
      fs.writeFileSync(path.join(shared, 'go'), '');
      ctx.waitStatus('stopped');
      eq(names(log).length, 5, 'no poststop before delete');
      succeeded(ctx.delete(), 'tsrun delete');
      eq(readLog(log).slice(5).map((l) => l.slice(0, 2)), [['poststop', 'stopped']], 'poststop after delete');
    },
  },
  {
    name: 'hooks_namespaces',
    rule: 'config.md: prestart/createRuntime/poststart/poststop "MUST be called ... in the runtime namespace"; createContainer and startContainer "in the container namespace"',
    run: (ctx) => {
      const shared = makeDir(ctx, 'shared');
      const log = path.join(shared, 'log');
      addBind(ctx.config, shared, '/tmp', ['rbind', 'rw']);
      ctx.config.process.args = ['true'];
      ctx.config.hooks = {
        createRuntime: [logHook('createRuntime', log)],
        createContainer: [logHook('createContainer', log)],
        startContainer: [logHook('startContainer', '/tmp/log')],
      };
      succeeded(ctx.create(), 'tsrun create');
      const containerUts = fs.readlinkSync(`/proc/${ctx.state().pid}/ns/uts`);
      ne(containerUts, hostUts(), 'container uts namespace');
      succeeded(ctx.start(), 'tsrun start');
      const byName = Object.fromEntries(readLog(log).map((l) => [l[0], l[3]]));
      eq(byName, { createRuntime: hostUts(), createContainer: containerUts, startContainer: containerUts }, 'uts namespace of each hook');
    },
  },
  {
    name: 'hooks_args_env',
    rule: 'config.md hooks: "args ... same semantics as IEEE Std 1003.1-2008 execv\'s argv", "env ... same semantics as IEEE Std 1003.1-2008\'s environ"',
    run: (ctx) => {
      const shared = makeDir(ctx, 'shared');
      const script = `cat /proc/$$/environ > ${shared}/env; tr '\\0' '\\n' < /proc/$$/cmdline > ${shared}/argv`;
      ctx.config.process.args = ['true'];
      ctx.config.hooks = { prestart: [{ path: '/bin/sh', args: ['hook-argv0', '-c', script, 'x', 'y z'], env: ['A=1', 'B=b c'] }] };
      succeeded(ctx.run(), 'tsrun run');
      eq(fs.readFileSync(path.join(shared, 'env'), 'utf8').split('\0').filter(Boolean), ['A=1', 'B=b c'], 'hook environ');
      eq(fs.readFileSync(path.join(shared, 'argv'), 'utf8').split('\n').filter(Boolean), ['hook-argv0', '-c', script, 'x', 'y z'], 'hook argv');
    },
  },
  {
    name: 'hooks_timeout_fail',
    rule: 'config.md hooks: "timeout ... the number of seconds before aborting the hook"; runtime.md Lifecycle 4: a failing createRuntime hook -> error, no container',
    run: (ctx) => {
      ctx.config.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '100'], timeout: 1 }] };
      const started = Date.now();
      const r = ctx.create();
      failed(r, 'tsrun create');
      ok(Date.now() - started < 30_000, 'create returned long before the hook would have ended');
      match(r.stderr, /createRuntime hook \/bin\/sleep: timed out: still running after its timeout of 1s/, 'create stderr');
      ctx.assertNothingLeft(ctx.id);
    },
  },
  ...['prestart', 'createRuntime', 'createContainer'].map((phase) => ({
    name: `hooks_${phase.toLowerCase()}_failure_fail`,
    rule: `runtime.md Lifecycle: "If any ${phase} hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12" (destroy, then poststop)`,
    run: (ctx) => {
      const log = path.join(makeDir(ctx, 'shared'), 'log');
      ctx.config.hooks = { [phase]: [failHook(3, `${phase}-failed`), logHook('after', log)], poststop: [logHook('poststop', log)] };
      const r = ctx.create();
      failed(r, 'tsrun create');
      includes(r.stderr, `${phase} hook /bin/sh: exit status 3; stderr: ${phase}-failed`, 'create stderr');
      eq(names(log), ['poststop'], 'hooks after the failure: only poststop');
      ctx.assertNothingLeft(ctx.id);
    },
  })),
  {
    name: 'hooks_startcontainer_failure_fail',
    rule: 'runtime.md Lifecycle 7: "If any startContainer hook fails, the runtime MUST generate an error, stop the container" (the program never runs)',
    run: (ctx) => {
      const shared = makeDir(ctx, 'shared');
      addBind(ctx.config, shared, '/tmp', ['rbind', 'rw']);
      ctx.config.process.args = ['sh', '-c', 'echo ran > /tmp/program'];
      ctx.config.hooks = { startContainer: [failHook(4, 'no-start')] };
      succeeded(ctx.create(), 'tsrun create');
      const r = ctx.start();
      failed(r, 'tsrun start');
      includes(r.stderr, 'startContainer hook /bin/sh: exit status 4; stderr: no-start', 'start stderr');
      eq(ctx.state().status, 'stopped', 'status after the failed start');
      ok(!fs.existsSync(path.join(shared, 'program')), 'the program ran');
    },
  },
  {
    name: 'hooks_poststart_failure_fail',
    rule: 'runtime.md Lifecycle 9: "If any poststart hook fails, the runtime MUST generate an error, stop the container"',
    run: (ctx) => {
      ctx.config.process.args = ['sleep', '100'];
      ctx.config.hooks = { poststart: [failHook(5, 'poststart-failed')] };
      succeeded(ctx.create(), 'tsrun create');
      const r = ctx.start();
      failed(r, 'tsrun start');
      includes(r.stderr, 'poststart hook /bin/sh: exit status 5; stderr: poststart-failed', 'start stderr');
      eq(ctx.state().status, 'stopped', 'status after the failed poststart');
    },
  },
  {
    name: 'hooks_poststop_failure_warns',
    rule: 'runtime.md Lifecycle 13: "If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded"',
    run: (ctx) => {
      const log = path.join(makeDir(ctx, 'shared'), 'log');
      ctx.config.process.args = ['true'];
      ctx.config.hooks = { poststop: [failHook(6, 'poststop-failed'), logHook('second', log)] };
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      ctx.waitStatus('stopped');
      const d = ctx.delete();
      succeeded(d, 'tsrun delete');
      match(d.stderr, /level=warning.*poststop hook \/bin\/sh: exit status 6/, 'delete stderr');
      eq(names(log), ['second'], 'the next poststop hook ran');
      ctx.assertNothingLeft(ctx.id, { after: 'delete' });
    },
  },
];
