// runtime-spec runtime.md "Operations": create, start, kill, delete and their error rules
// ("MUST generate an error", "MUST have no effect on the container").
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { eq, includes, ok, succeeded } from '../lib/assert.mjs';
import { RUN, TSRUN, sleepMs } from '../lib/context.mjs';
import { cgroupDirs, cgroupHierarchies } from '../lib/host.mjs';
import { assertRefusal, expectCreateRefused } from '../lib/run-case.mjs';

export const section = '24. Operations';

/** Creates and starts `sh` that reports TERM/INT/HUP by name and exits 0 on any of them. */
function startTrapper(ctx, id = ctx.id) {
  ctx.config.process.args = ['sh', '-c', 'for s in TERM INT HUP USR1; do trap "echo got $s; exit 0" $s; done; echo ready; while :; do sleep 0.05; done'];
  succeeded(ctx.create(id), 'tsrun create');
  succeeded(ctx.start(id), 'tsrun start');
  ctx.waitFor(() => ctx.output(id).includes('ready'), 'the trap to be set');
}

function sleeperCreated(ctx, id = ctx.id) {
  ctx.config.process.args = ['sleep', '60'];
  succeeded(ctx.create(id), 'tsrun create');
}

function stoppedContainer(ctx) {
  ctx.config.process.args = ['true'];
  succeeded(ctx.create(), 'tsrun create');
  succeeded(ctx.start(), 'tsrun start');
  ctx.waitStatus('stopped');
}

function killCase(name, args, expected) {
  return {
    name,
    rule: `runtime.md kill: "sends the specified signal to the container process" (tsrun kill ${args.join(' ') || '<id>'}: ${expected})`,
    run: (ctx) => {
      startTrapper(ctx);
      succeeded(ctx.kill(ctx.id, ...args), `tsrun kill ${args.join(' ')}`);
      ctx.waitStatus('stopped');
      eq(ctx.output().trim().split('\n').pop(), `got ${expected}`, 'what the trap saw');
    },
  };
}

export default [
  // create
  {
    name: 'create_no_id_fail',
    rule: 'runtime.md create: "This operation MUST generate an error if it is not provided a path to the bundle and the container ID"',
    run: (ctx) => {
      ctx.writeConfig();
      assertRefusal(ctx.tsrun(['create', '--bundle', ctx.bundle]), /id|argument/, 'tsrun create without id');
      ctx.assertNothingLeft();
    },
  },
  {
    name: 'create_missing_bundle_fail',
    rule: 'runtime.md create: error when the bundle path does not lead to a bundle (no such directory)',
    run: (ctx) => expectCreateRefused(ctx, 'no-such-bundle', { bundle: path.join(ctx.work, 'no-such-bundle'), write: false }),
  },
  {
    name: 'create_bundle_without_config_fail',
    rule: 'bundle.md: the bundle MUST contain config.json; create errors without one',
    run: (ctx) => expectCreateRefused(ctx, 'config.json', { write: false }),
  },
  {
    name: 'create_malformed_json_fail',
    rule: 'runtime.md create: a config.json that is not JSON cannot be applied: error, no container',
    run: (ctx) => {
      fs.writeFileSync(path.join(ctx.bundle, 'config.json'), '{"root": {"path": "rootfs"}, ');
      expectCreateRefused(ctx, 'config.json', { write: false });
    },
  },
  {
    name: 'create_duplicate_id_fail',
    rule: 'runtime.md create: "If the ID provided is not unique across all containers within the scope of the runtime ... MUST generate an error and a new container MUST NOT be created" (the first one is untouched)',
    run: (ctx) => {
      sleeperCreated(ctx);
      const before = ctx.state();
      assertRefusal(ctx.create(), /exist|already/, 'second tsrun create');
      const after = ctx.state();
      eq({ status: after.status, pid: after.pid }, { status: 'created', pid: before.pid }, 'the first container');
    },
  },
  {
    name: 'create_invalid_id_fail',
    rule: 'runtime.md create: an invalid ID is an error and no container is created ("../x", "a/b", ".", "" and a space)',
    run: (ctx) => {
      ctx.writeConfig();
      for (const id of ['../conf-escape', 'a/b', '.', '', 'x y']) {
        assertRefusal(ctx.tsrun(['create', '--bundle', ctx.bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] }), /id/, `tsrun create ${JSON.stringify(id)}`);
      }
      ok(!fs.existsSync(path.join(path.dirname(RUN.root), 'conf-escape')), 'a state dir was made outside the root');
      ctx.assertNothingLeft();
    },
  },
  {
    name: 'create_sigkill_midway_then_delete_force',
    rule: 'runtime.md: an operation that did not complete leaves no container; after `tsrun create` is killed with SIGKILL at any point, `delete --force` removes everything',
    run: async (ctx) => {
      ctx.config.process.args = ['sleep', '60'];
      ctx.writeConfig();
      for (const delay of [20, 80, 160, 300]) {
        const id = ctx.newId(`k${delay}`);
        const out = fs.openSync(ctx.logFile(id, 'out'), 'a');
        const child = spawn(TSRUN, ['--root', RUN.root, 'create', '--bundle', ctx.bundle, id], { stdio: ['ignore', out, out] });
        fs.closeSync(out);
        await new Promise((resolve) => setTimeout(resolve, delay));
        child.kill('SIGKILL');
        await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
        const r = ctx.delete(id, true);
        succeeded(r, `tsrun delete --force after SIGKILL at ${delay} ms`);
        const left = ctx.leftovers(id);
        if (left.length) throw new Error(`after SIGKILL at ${delay} ms and delete --force: ${left.join('; ')}`);
      }
    },
  },
  // start
  {
    name: 'start_no_id_fail',
    rule: 'runtime.md start: "This operation MUST generate an error if it is not provided the container ID."',
    run: (ctx) => assertRefusal(ctx.tsrun(['start']), /id|argument/, 'tsrun start'),
  },
  {
    name: 'start_unknown_id_fail',
    rule: 'runtime.md start: an unknown container id is an error',
    run: (ctx) => assertRefusal(ctx.tsrun(['start', `${RUN.prefix}nope`]), `${RUN.prefix}nope`, 'tsrun start'),
  },
  {
    name: 'start_not_created_fail',
    rule: 'runtime.md start: "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error." (a running container started again)',
    run: (ctx) => {
      ctx.config.process.args = ['sh', '-c', 'echo started; sleep 60'];
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      const pid = ctx.state().pid;
      assertRefusal(ctx.start(), /running|created/, 'second tsrun start');
      sleepMs(200);
      const s = ctx.state();
      eq({ status: s.status, pid: s.pid }, { status: 'running', pid }, 'container after the second start');
      eq(ctx.output(), 'started\n', 'the program ran once');
    },
  },
  {
    name: 'start_stopped_fail',
    rule: 'runtime.md start: "Attempting to start a container that is not created MUST ... generate an error" (a stopped container)',
    run: (ctx) => {
      stoppedContainer(ctx);
      assertRefusal(ctx.start(), /stopped|created/, 'tsrun start on a stopped container');
      eq(ctx.state().status, 'stopped', 'status');
    },
  },
  {
    name: 'start_without_process_fail',
    rule: 'runtime.md start: "This operation MUST generate an error if process was not set." (and has no effect on the created container)',
    run: (ctx) => {
      delete ctx.config.process;
      succeeded(ctx.create(), 'tsrun create');
      assertRefusal(ctx.start(), 'process', 'tsrun start');
      eq(ctx.state().status, 'created', 'status after the refused start');
    },
  },
  // kill
  killCase('kill_signal_by_name', ['TERM'], 'TERM'),
  killCase('kill_signal_with_sig_prefix', ['SIGINT'], 'INT'),
  killCase('kill_signal_by_number', ['1'], 'HUP'),
  killCase('kill_default_sigterm', [], 'TERM'),
  {
    name: 'kill_created',
    rule: 'runtime.md kill: allowed on a "created" container ("not created or running" is the error case): SIGKILL stops it',
    run: (ctx) => {
      sleeperCreated(ctx);
      succeeded(ctx.kill(ctx.id, 'KILL'), 'tsrun kill KILL');
      ctx.waitStatus('stopped');
    },
  },
  {
    name: 'kill_no_id_fail',
    rule: 'runtime.md kill: "This operation MUST generate an error if it is not provided the container ID."',
    run: (ctx) => assertRefusal(ctx.tsrun(['kill']), /id|argument/, 'tsrun kill'),
  },
  {
    name: 'kill_stopped_fail',
    rule: 'runtime.md kill: "Attempting to send a signal to a container that is neither created nor running MUST have no effect on the container and MUST generate an error."',
    run: (ctx) => {
      stoppedContainer(ctx);
      assertRefusal(ctx.kill(ctx.id, 'KILL'), /stopped|running|created/, 'tsrun kill on a stopped container');
      eq(ctx.state().status, 'stopped', 'status');
    },
  },
  {
    name: 'kill_invalid_signal_fail',
    rule: 'runtime.md kill: an unknown signal is an error with no effect on the container',
    run: (ctx) => {
      startTrapper(ctx);
      assertRefusal(ctx.kill(ctx.id, 'SIGCONFNOPE'), 'SIGCONFNOPE', 'tsrun kill SIGCONFNOPE');
      eq(ctx.state().status, 'running', 'status');
    },
  },
  // delete
  {
    name: 'delete_no_id_fail',
    rule: 'runtime.md delete: "This operation MUST generate an error if it is not provided the container ID."',
    run: (ctx) => assertRefusal(ctx.tsrun(['delete']), /id|argument/, 'tsrun delete'),
  },
  {
    name: 'delete_unknown_id_fail',
    rule: 'runtime.md delete: an unknown container id is an error (without --force)',
    run: (ctx) => assertRefusal(ctx.tsrun(['delete', `${RUN.prefix}nope`]), `${RUN.prefix}nope`, 'tsrun delete'),
  },
  {
    name: 'delete_running_fail',
    rule: 'runtime.md delete: "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error." (running)',
    run: (ctx) => {
      ctx.config.process.args = ['sleep', '60'];
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      const pid = ctx.state().pid;
      assertRefusal(ctx.delete(), /running|stopped/, 'tsrun delete');
      const s = ctx.state();
      eq({ status: s.status, pid: s.pid }, { status: 'running', pid }, 'container after the refused delete');
      ok(cgroupDirs(`/tsrun/${ctx.id}`).length > 0, 'its cgroup was removed');
    },
  },
  {
    name: 'delete_created_fail',
    rule: 'runtime.md delete: "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error." (created)',
    run: (ctx) => {
      sleeperCreated(ctx);
      assertRefusal(ctx.delete(), /created|stopped/, 'tsrun delete');
      eq(ctx.state().status, 'created', 'status');
    },
  },
  {
    name: 'delete_removes_created_resources',
    rule: 'runtime.md delete: "Deleting a container MUST delete the resources that were created during the create step." (state, cgroups, mounts, processes)',
    run: (ctx) => {
      stoppedContainer(ctx);
      ok(cgroupDirs(`/tsrun/${ctx.id}`).length > 0, 'no cgroup to remove (create made none?)');
      succeeded(ctx.delete(), 'tsrun delete');
      ctx.assertNothingLeft(ctx.id, { after: 'delete' });
    },
  },
  {
    name: 'delete_keeps_resources_not_created',
    rule: 'runtime.md delete: "resources associated with the container, but not created by this container, MUST NOT be deleted" (a pre-existing parent cgroup, a bind-mounted host dir, the bundle)',
    run: (ctx) => {
      const parent = `/${ctx.id}-parent`;
      for (const h of cgroupHierarchies()) {
        fs.mkdirSync(path.join(h, parent));
        ctx.defer(() => fs.rmdirSync(path.join(h, parent)));
        // cgroup v1 cpuset: a new cgroup starts with no cpus/mems and cannot take tasks (ENOSPC);
        // a parent someone else made is set up by them, so do what they would.
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (fs.existsSync(path.join(h, f))) fs.writeFileSync(path.join(h, parent, f), fs.readFileSync(path.join(h, f), 'utf8'));
        }
      }
      const data = path.join(ctx.work, 'data');
      fs.mkdirSync(data);
      fs.writeFileSync(path.join(data, 'keep'), 'keep\n');
      ctx.config.mounts.push({ destination: '/tmp', type: 'bind', source: data, options: ['bind'] });
      ctx.config.linux.cgroupsPath = `${parent}/leaf`;
      ctx.config.process.args = ['true'];
      succeeded(ctx.create(), 'tsrun create');
      ok(cgroupDirs(`${parent}/leaf`).length > 0, `no cgroup at ${parent}/leaf`);
      succeeded(ctx.start(), 'tsrun start');
      ctx.waitStatus('stopped');
      const config = fs.readFileSync(path.join(ctx.bundle, 'config.json'), 'utf8');
      succeeded(ctx.delete(), 'tsrun delete');
      ctx.assertNothingLeft(ctx.id, { after: 'delete', cgroupPath: `${parent}/leaf` });
      eq(cgroupDirs(parent).length, cgroupHierarchies().length, `pre-existing cgroup ${parent} in every hierarchy`);
      eq(fs.readFileSync(path.join(data, 'keep'), 'utf8'), 'keep\n', 'the bind-mounted host file');
      eq(fs.readFileSync(path.join(ctx.bundle, 'config.json'), 'utf8'), config, 'the bundle config');
    },
  },
  {
    name: 'delete_keeps_preexisting_cgroup',
    rule: 'runtime.md delete: a cgroup that existed before create (cgroupsPath naming it) was not created by the container and MUST NOT be deleted',
    run: (ctx) => {
      const cg = `/${ctx.id}-pre`;
      for (const h of cgroupHierarchies()) {
        fs.mkdirSync(path.join(h, cg));
        ctx.defer(() => fs.rmdirSync(path.join(h, cg)));
      }
      ctx.config.linux.cgroupsPath = cg;
      stoppedContainer(ctx);
      succeeded(ctx.delete(), 'tsrun delete');
      eq(cgroupDirs(cg).length, cgroupHierarchies().length, `pre-existing cgroup ${cg} in every hierarchy`);
    },
  },
  {
    name: 'delete_id_reusable',
    rule: 'runtime.md delete: once deleted, the id may be used again (create succeeds)',
    run: (ctx) => {
      stoppedContainer(ctx);
      succeeded(ctx.delete(), 'tsrun delete');
      ctx.config.process.args = ['sh', '-c', 'echo second'];
      succeeded(ctx.create(), 'tsrun create (same id again)');
      succeeded(ctx.start(), 'tsrun start');
      ctx.waitStatus('stopped');
      includes(ctx.output(), 'second', 'output of the second container');
    },
  },
  {
    name: 'delete_force_running',
    rule: 'runc-compatible `delete --force`: kills a running container and removes everything create made',
    run: (ctx) => {
      ctx.config.process.args = ['sleep', '60'];
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      succeeded(ctx.delete(ctx.id, true), 'tsrun delete --force');
      ctx.assertNothingLeft(ctx.id, { after: 'delete --force' });
    },
  },
  {
    name: 'delete_force_missing_ok',
    rule: 'runc-compatible `delete --force` of a container that does not exist exits 0',
    run: (ctx) => succeeded(ctx.tsrun(['delete', '--force', `${RUN.prefix}nope`]), 'tsrun delete --force <missing>'),
  },
  // run (the CLI's create + start + wait + delete)
  {
    name: 'run_killed_status_128_plus_signal',
    rule: 'runc-compatible `run`: when the container process is killed by signal n (here `tsrun kill <id> KILL` from outside), run exits 128+n',
    run: async (ctx) => {
      ctx.config.process.args = ['sleep', '60'];
      ctx.writeConfig();
      const out = fs.openSync(ctx.logFile(ctx.id, 'out'), 'a');
      const child = spawn(TSRUN, ['--root', RUN.root, 'run', '--bundle', ctx.bundle, ctx.id], { stdio: ['ignore', out, out] });
      fs.closeSync(out);
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      try {
        ctx.waitFor(() => fs.existsSync(path.join(RUN.root, ctx.id)) && ctx.tsrun(['state', ctx.id]).stdout.includes('"running"'), 'the container to run');
        succeeded(ctx.kill(ctx.id, 'KILL'), 'tsrun kill KILL');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const { code, signal } = await exited;
        clearTimeout(timer);
        eq({ code, signal }, { code: 137, signal: null }, 'tsrun run exit');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    },
  },
];
