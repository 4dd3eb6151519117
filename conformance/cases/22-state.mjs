// runtime-spec runtime.md "State" and the "state" operation: the document tsrun prints, checked
// against schemas/state-schema.json and against the facts (pid, bundle, status).
import fs from 'node:fs';
import path from 'node:path';
import { eq, match, ok, succeeded } from '../lib/assert.mjs';
import { RUN } from '../lib/context.mjs';
import { parseStatus } from '../lib/proc.mjs';
import { assertRefusal } from '../lib/run-case.mjs';
import { assertSchema } from '../lib/schemas.mjs';

export const section = '22. State';

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function sleeper(ctx, seconds = 60) {
  ctx.config.process.args = ['sleep', String(seconds)];
}

export default [
  {
    name: 'state_schema_created',
    rule: 'runtime.md State: ociVersion, id, status, pid (REQUIRED on Linux when created or running), bundle; the document matches the state schema',
    run: (ctx) => {
      sleeper(ctx);
      succeeded(ctx.create(), 'tsrun create');
      const s = ctx.state();
      assertSchema('state-schema.json', s, 'tsrun state (created)');
      match(s.ociVersion, SEMVER, 'ociVersion');
      eq(s.id, ctx.id, 'id');
      eq(s.status, 'created', 'status');
      eq(s.bundle, ctx.bundle, 'bundle');
      ok(Number.isInteger(s.pid) && s.pid > 0, `pid ${s.pid}`);
    },
  },
  {
    name: 'state_pid_is_container_process',
    rule: 'runtime.md State pid: "the ID of the container process, as seen by the host" (PID 1 of the container\'s PID namespace)',
    run: (ctx) => {
      sleeper(ctx);
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      const s = ctx.state();
      const status = parseStatus(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8'));
      eq(status.NSpid.split(/\s+/).pop(), '1', `pid inside the container's namespace of host pid ${s.pid}`);
      eq(fs.readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').split('\0').filter(Boolean), ['sleep', '60'], 'its cmdline');
    },
  },
  {
    name: 'state_running',
    rule: 'runtime.md State status "running": "the container process has executed the user-specified program but has not exited"',
    run: (ctx) => {
      sleeper(ctx);
      succeeded(ctx.create(), 'tsrun create');
      const pid = ctx.state().pid;
      succeeded(ctx.start(), 'tsrun start');
      const s = ctx.state();
      assertSchema('state-schema.json', s, 'tsrun state (running)');
      eq(s.status, 'running', 'status');
      eq(s.pid, pid, 'pid (same process as at create)');
    },
  },
  {
    name: 'state_stopped',
    rule: 'runtime.md State status "stopped": "the container process has exited"; the document stays valid',
    run: (ctx) => {
      ctx.config.process.args = ['true'];
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      const s = ctx.waitStatus('stopped');
      assertSchema('state-schema.json', s, 'tsrun state (stopped)');
      eq(s.id, ctx.id, 'id');
    },
  },
  {
    name: 'state_annotations',
    rule: 'runtime.md State annotations: "(map, OPTIONAL) contains the list of annotations associated with the container"',
    run: (ctx) => {
      sleeper(ctx);
      ctx.config.annotations = { 'com.example.a': 'one', 'org.opencontainers.image.os': 'linux' };
      succeeded(ctx.create(), 'tsrun create');
      const s = ctx.state();
      assertSchema('state-schema.json', s);
      eq(s.annotations, ctx.config.annotations, 'annotations');
    },
  },
  {
    name: 'state_no_annotations',
    rule: 'runtime.md State annotations: "If no annotations were provided then this property MAY either be absent or an empty map."',
    run: (ctx) => {
      sleeper(ctx);
      delete ctx.config.annotations;
      succeeded(ctx.create(), 'tsrun create');
      const s = ctx.state();
      ok(s.annotations === undefined || (typeof s.annotations === 'object' && Object.keys(s.annotations).length === 0), `annotations ${JSON.stringify(s.annotations)}`);
    },
  },
  {
    name: 'state_bundle_absolute',
    rule: 'runtime.md State bundle: "the absolute path to the container\'s bundle directory" (even when create was given a relative path)',
    run: (ctx) => {
      sleeper(ctx);
      ctx.writeConfig();
      const r = ctx.create(ctx.id, { bundle: 'bundle', cwd: ctx.work, write: false, config: undefined });
      succeeded(r, 'tsrun create --bundle bundle (relative)');
      eq(ctx.state().bundle, ctx.bundle, 'bundle');
    },
  },
  {
    name: 'state_unknown_id_fail',
    rule: 'runtime.md state: "This operation MUST generate an error if it is not provided the ID of a container." / unknown id: error',
    run: (ctx) => {
      const r = ctx.tsrun(['state', `${RUN.prefix}no-such-container`]);
      assertRefusal(r, `${RUN.prefix}no-such-container`, 'tsrun state');
      eq(r.stdout, '', 'stdout');
    },
  },
  {
    name: 'state_no_id_fail',
    rule: 'runtime.md state: "This operation MUST generate an error if it is not provided the ID of a container."',
    run: (ctx) => assertRefusal(ctx.tsrun(['state']), /id|argument/, 'tsrun state'),
  },
  {
    name: 'state_file_not_trusted',
    rule: 'runtime.md State status is derived from facts: killing the container process from outside makes `state` report "stopped"',
    run: (ctx) => {
      sleeper(ctx);
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      process.kill(ctx.state().pid, 'SIGKILL');
      ctx.waitStatus('stopped', ctx.id, 5000);
      ok(fs.existsSync(path.join(RUN.root, ctx.id)), 'the state dir vanished before delete');
    },
  },
];
