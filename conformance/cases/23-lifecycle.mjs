// runtime-spec runtime.md "Lifecycle": create builds the environment without running the
// program, config edits after create have no effect, start runs it, exit leads to stopped, delete
// undoes create.
import fs from 'node:fs';
import path from 'node:path';
import { eq, ok, succeeded } from '../lib/assert.mjs';
import { addBind } from '../lib/config.mjs';
import { sleepMs } from '../lib/context.mjs';
import { makeDir } from '../lib/host-tree.mjs';

export const section = '23. Lifecycle';

export default [
  {
    name: 'lifecycle_create_does_not_run_program',
    rule: 'runtime.md Lifecycle 2: create builds the environment; "the user-specified program (from process.args) MUST NOT be run at this time" (it runs at start)',
    run: (ctx) => {
      const shared = makeDir(ctx, 'shared');
      addBind(ctx.config, shared, '/tmp');
      ctx.config.process.args = ['sh', '-c', 'echo ran > /tmp/marker'];
      succeeded(ctx.create(), 'tsrun create');
      sleepMs(300);
      ok(!fs.existsSync(path.join(shared, 'marker')), 'the program ran during create');
      eq(ctx.state().status, 'created', 'status after create');
      succeeded(ctx.start(), 'tsrun start');
      ctx.waitFor(() => fs.existsSync(path.join(shared, 'marker')), 'the program to run after start');
      eq(fs.readFileSync(path.join(shared, 'marker'), 'utf8'), 'ran\n', 'marker');
    },
  },
  {
    name: 'lifecycle_config_edits_after_create_ignored',
    rule: 'runtime.md Lifecycle 2: "Any updates to config.json after this step MUST NOT affect the container."',
    run: (ctx) => {
      ctx.config.process.args = ['sh', '-c', 'echo "original $V"'];
      ctx.config.process.env = ['PATH=/bin', 'V=one'];
      succeeded(ctx.create(), 'tsrun create');
      const edited = structuredClone(ctx.config);
      edited.process.args = ['sh', '-c', 'echo "edited $V"'];
      edited.process.env = ['PATH=/bin', 'V=two'];
      ctx.writeConfig(edited);
      succeeded(ctx.start(), 'tsrun start');
      ctx.waitStatus('stopped');
      eq(ctx.output(), 'original one\n', 'what the container printed');
    },
  },
  {
    name: 'lifecycle_exit_stopped',
    rule: 'runtime.md Lifecycle 6-7: "The container process exits" ... the container is then stopped (state reports "stopped")',
    run: (ctx) => {
      ctx.config.process.args = ['sh', '-c', 'echo bye; exit 3'];
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      ctx.waitStatus('stopped');
      eq(ctx.output(), 'bye\n', 'output');
    },
  },
  {
    name: 'lifecycle_kill_stops',
    rule: 'runtime.md Lifecycle 7: the container process exits "by ... the runtime\'s kill operation being invoked" -> stopped',
    run: (ctx) => {
      ctx.config.process.args = ['sleep', '60'];
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      succeeded(ctx.kill(ctx.id, 'KILL'), 'tsrun kill KILL');
      ctx.waitStatus('stopped');
    },
  },
  {
    name: 'lifecycle_delete_undoes_create',
    rule: 'runtime.md Lifecycle 8: "Runtime\'s delete command is invoked ... The container MUST be destroyed by undoing the steps performed during create phase"',
    run: (ctx) => {
      ctx.config.process.args = ['true'];
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      ctx.waitStatus('stopped');
      succeeded(ctx.delete(), 'tsrun delete');
      ctx.assertNothingLeft(ctx.id, { after: 'delete' });
    },
  },
  {
    name: 'lifecycle_run_equals_create_start',
    rule: 'runtime.md Lifecycle: the whole cycle through `tsrun run` (create + start, wait, delete): output, exit status, nothing left',
    run: (ctx) => {
      ctx.config.process.args = ['sh', '-c', 'echo pid $$; exit 4'];
      const r = ctx.run();
      eq(r.status, 4, 'exit status');
      eq(r.stdout, 'pid 1\n', 'stdout');
      ctx.assertNothingLeft(ctx.id, { after: 'run' });
    },
  },
];
