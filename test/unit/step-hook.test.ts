// src/step-hook.ts, the test-only step hook: inert without its variables; with them, each step
// reached is logged as <role>:<step> (#n when passed again), and the process dies by SIGKILL at the
// step TSRUN_TEST_KILL_AT names, before anything after it. Also the seeded mutations of
// test/reliability/mutate.ts are reproducible.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { reached, stageHookEnv } from '../../src/step-hook';
import { mutateConfig, prng } from '../reliability/mutate';
import { SPEC_VERSION } from '../../src/spec/version';

const HOOK = path.resolve(__dirname, '..', '..', 'src', 'step-hook.ts');

/** A child (tap's TypeScript loader, like us) that passes steps a, a, b, c with `env`. */
function child(env: Record<string, string>) {
  const code = `const h = require(${JSON.stringify(HOOK)}); h.setStepRole('unit'); ` +
    `for (const s of ['a', 'a', 'b', 'c']) h.reached(s); process.stdout.write(JSON.stringify(h.stageHookEnv()));`;
  return spawnSync(process.execPath, [...process.execArgv, '-e', code], { encoding: 'utf8', env: { ...process.env, ...env } });
}

t.test('without its variables the hook does nothing', async (t) => {
  t.equal(process.env.TSRUN_TEST_KILL_AT, undefined);
  reached('a');
  reached('a');
  t.same(stageHookEnv(), {}, 'a stage gets no variable');
  const r = child({});
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '{}');
});

t.test('TSRUN_TEST_STEP_LOG lists the steps; TSRUN_TEST_KILL_AT kills at one', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-step-hook-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'steps');
  const listed = child({ TSRUN_TEST_STEP_LOG: log });
  t.equal(listed.status, 0, listed.stderr);
  t.equal(fs.readFileSync(log, 'utf8'), 'unit:a\nunit:a#2\nunit:b\nunit:c\n', 'each step, the repeated one numbered');
  t.same(JSON.parse(listed.stdout), { TSRUN_TEST_STEP_LOG: log }, 'handed on to a stage');
  fs.rmSync(log);
  const killed = child({ TSRUN_TEST_STEP_LOG: log, TSRUN_TEST_KILL_AT: 'unit:a#2' });
  t.equal(killed.signal, 'SIGKILL', 'killed');
  t.equal(fs.readFileSync(log, 'utf8'), 'unit:a\nunit:a#2\n', 'at that step, before the next');
});

t.test('mutations: the same seed gives the same configs, another seed others', async (t) => {
  const base = { ociVersion: SPEC_VERSION, process: { args: ['true'], cwd: '/', user: { uid: 0, gid: 0 } }, root: { path: 'rootfs' } };
  const run = (seed: number) => {
    const rand = prng(seed);
    return Array.from({ length: 50 }, () => mutateConfig(base, rand));
  };
  t.same(run(7), run(7), 'reproducible');
  t.not(JSON.stringify(run(7)), JSON.stringify(run(8)), 'seed-dependent');
  const all = run(7);
  t.ok(all.every((m) => m.ops.length > 0 && m.text !== JSON.stringify(base, null, 2)), 'every case changes the config');
  t.same(base.process.args, ['true'], 'the base is not touched');
});
