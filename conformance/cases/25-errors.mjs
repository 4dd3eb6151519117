// runtime-spec runtime.md "Errors" and "Warnings": an error leaves the environment as it was, a
// warning never changes the flow. (Every *_fail case also checks "nothing left behind".)
import fs from 'node:fs';
import path from 'node:path';
import { eq, match, ok } from '../lib/assert.mjs';
import { addTmpfs } from '../lib/config.mjs';
import { ROOTFS } from '../lib/context.mjs';
import { expectCreateRefused } from '../lib/run-case.mjs';

export const section = '25. Errors and warnings';

export default [
  {
    name: 'error_late_failure_leaves_nothing',
    rule: 'runtime.md Errors: "the state of the environment ... MUST be as if the operation were never run" (a failure in the init stage, after namespaces, cgroups and several mounts were made)',
    run: (ctx) => {
      addTmpfs(ctx.config, '/tmp', ['size=1m']);
      addTmpfs(ctx.config, '/tmp/a', ['size=1m']);
      ctx.config.mounts.push({ destination: '/tmp/b', type: 'bind', source: path.join(ctx.work, 'missing'), options: ['bind'] });
      expectCreateRefused(ctx, 'missing');
    },
  },
  {
    name: 'error_rootfs_untouched',
    rule: 'runtime.md Errors: a refused create changes nothing in the bundle or the (read-only) rootfs',
    run: (ctx) => {
      const before = fs.readdirSync(ROOTFS).sort();
      ctx.config.linux.devices = [{ type: 'c', path: '/dev/conf-null', major: 1, minor: 3 }];
      ctx.config.process.args = ['conf-not-there'];
      expectCreateRefused(ctx, 'conf-not-there');
      eq(fs.readdirSync(ROOTFS).sort(), before, 'top-level entries of the rootfs');
      eq(fs.readdirSync(ctx.bundle), ['config.json'], 'bundle contents');
    },
  },
  {
    name: 'error_one_line_exit_1',
    rule: 'issue 2 / runc: a refused operation prints one clear line on stderr and exits 1',
    run: (ctx) => {
      ctx.config.process.cwd = 'relative';
      const r = expectCreateRefused(ctx, '/process/cwd');
      eq(r.status, 1, 'exit status');
      const lines = r.stderr.trim().split('\n').filter((l) => !/level=warning/.test(l));
      eq(lines.length, 1, `stderr lines (${JSON.stringify(r.stderr)})`);
    },
  },
  {
    name: 'warning_does_not_change_flow',
    rule: 'runtime.md Warnings: "a warning ... the flow of the operation MUST continue as if the warning had not been logged" (an unknown capability name is a warning, config.md; output and exit status are unaffected)',
    script: 'echo flow-ok; exit 5',
    patch: (c) => {
      c.process.capabilities.bounding.push('CAP_NOT_A_CAPABILITY');
    },
    status: 5,
    expect: (r) => {
      match(r.stderr, /level=warning/, 'a warning was logged');
      eq(r.stdout, 'flow-ok\n', 'stdout');
    },
  },
  {
    name: 'log_format_json_error',
    rule: 'runc-compatible --log FILE --log-format json: an error is written as {"level":"error","msg":...,"time":...}',
    run: (ctx) => {
      ctx.config.process.cwd = 'relative';
      ctx.writeConfig();
      const log = path.join(ctx.work, 'log.json');
      const r = ctx.tsrun(['--log', log, '--log-format', 'json', 'create', '--bundle', ctx.bundle, ctx.id]);
      ok(r.status !== 0, 'create succeeded');
      const entries = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const err = entries.find((e) => e.level === 'error');
      ok(err, `no error entry in ${JSON.stringify(entries)}`);
      match(err.msg, /\/process\/cwd/, 'msg');
      ok(typeof err.time === 'string' && !Number.isNaN(Date.parse(err.time)), `time ${err.time}`);
      ctx.assertNothingLeft();
    },
  },
];
