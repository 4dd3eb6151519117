// Reliability (issue 12, part 8): 1,000 mutated configs (test/reliability/mutate.ts, seeded) fed
// to `tsrun create`, one in ten to `tsrun run`. Each must either be refused in the house style
// (exit status 1, exactly one line "tsrun <verb>: ...", no stack trace, no Node "Error:" line) or,
// when the mutation left a valid config, succeed (then it is deleted). Either way the host must
// be as before: no state dir, no cgroup dir that was not there, no mount; at the end no process.
// TSRUN_RELIABILITY_SEED=N runs another seed (the default one is fixed, so CI is reproducible);
// TSRUN_RELIABILITY_CASES=218,306 runs only those cases (to reproduce a failure).
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { cleanupRoot, copyRootfs, errorLines, makeStateRoot, ownLeaks, REPO, skipReason, tsrun, uniqueId, bundleFor } from '../lib/harness';
import { cli, type Done } from '../lib/lifecycle';
import { mutateConfig, prng } from './mutate';
import { resolveCgroupsPath } from '../../src/cgroups/cgroups-path';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));
t.setTimeout(1_800_000); // a hang guard only, large enough for a heavily loaded machine

const CASES = 1000;
/** Cases run at once: enough to keep both cores busy while a create waits on its stage. */
const PARALLEL = 4;
const SEED = Number(process.env.TSRUN_RELIABILITY_SEED ?? 20261206);

/** The container's cgroup directories in every hierarchy, if its cgroupsPath resolves at all. */
function cgroupDirs(config: unknown, id: string): string[] {
  let inner: string;
  try {
    const cp = (config as any)?.linux?.cgroupsPath;
    inner = resolveCgroupsPath(typeof cp === 'string' ? cp : undefined, id);
  } catch {
    return [];
  }
  return fs.readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h, inner));
}

/** Host mounts of our rootfs copy or bundles: the container's mounts belong in its own namespace. */
function ourMounts(): string[] {
  return ownLeaks(root).mounts;
}

interface Outcome {
  refused: boolean;
  problems: string[];
  warnings: number;
}

async function runCase(bundle: string, n: number, rand: () => number, base: unknown): Promise<{ ops: string[]; verb: string; outcome: Outcome }> {
  const { text, ops } = mutateConfig(base as any, rand);
  const verb = n % 10 === 0 ? 'run' : 'create';
  fs.writeFileSync(path.join(bundle, 'config.json'), text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const id = uniqueId('mut');
  const dirs = cgroupDirs(parsed, id);
  const existed = new Set(dirs.filter((d) => fs.existsSync(d)));
  const r: Done = await cli(root, [verb, '-b', bundle, id]);
  const problems: string[] = [];
  const lines = errorLines(r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => /level=warning/.test(l)).length;
  let refused = false;
  if (r.status === 1) {
    refused = true;
    if (lines.length !== 1) problems.push(`${lines.length} lines on stderr`);
    if (!lines.every((l) => l.startsWith(`tsrun ${verb}: `))) problems.push('a line that is not "tsrun <verb>: ..."');
    if (/^\s+at |^\w*Error: |internal error/m.test(r.stderr)) problems.push('a stack trace or a Node error');
  } else if (r.status === 0) {
    if (lines.length !== 0) problems.push(`succeeded with ${lines.length} error lines`);
    if (verb === 'create') {
      const d = await cli(root, ['delete', '--force', id]);
      if (d.status !== 0) problems.push(`delete --force of the valid config: ${d.stderr.trim()}`);
    }
  } else {
    problems.push(`exit status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}`);
  }
  if (fs.existsSync(path.join(root, id))) {
    problems.push('state dir left');
    tsrun(root, ['delete', '--force', id]);
  }
  const leftDirs = dirs.filter((d) => !existed.has(d) && fs.existsSync(d));
  if (leftDirs.length > 0) problems.push(`cgroup dirs left: ${leftDirs.join(' ')}`);
  if (problems.length > 0) problems.push(`stderr: ${JSON.stringify(r.stderr.slice(0, 500))}`);
  return { ops, verb, outcome: { refused, problems, warnings } };
}

t.test(`${CASES} mutated configs: refused in one line, or valid and deleted; the host unchanged`, { skip: skipReason }, async (t) => {
  const rootfs = copyRootfs(t);
  const base = JSON.parse(fs.readFileSync(path.join(REPO, 'bundles', 'demo', 'config.json'), 'utf8'));
  base.root.path = rootfs;
  base.process.args = ['true'];
  const mountsBefore = ourMounts();
  // One PRNG per case, seeded from the run's seed and the case number: a case is reproduced alone.
  const only = process.env.TSRUN_RELIABILITY_CASES?.split(',').map(Number);
  const queue = only ?? Array.from({ length: CASES }, (_, n) => n);
  const total = queue.length;
  const failures: string[] = [];
  let refused = 0;
  let valid = 0;
  let warnings = 0;
  const byVerb = { create: 0, run: 0 };
  const started = Date.now();
  const worker = async (): Promise<void> => {
    const bundle = bundleFor(t);
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      const { ops, verb, outcome } = await runCase(bundle, n, prng(SEED ^ Math.imul(n + 1, 0x9e3779b1)), base);
      byVerb[verb as 'create' | 'run']++;
      warnings += outcome.warnings;
      if (outcome.problems.length > 0) failures.push(`case ${n} (${verb}; ${ops.join('; ')}): ${outcome.problems.join('; ')}`);
      else if (outcome.refused) refused++;
      else valid++;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const seconds = (Date.now() - started) / 1000;
  t.same(failures, [], `every case refused cleanly or valid (seed ${SEED})`);
  t.same(ourMounts(), mountsBefore, 'no mount left on the host');
  t.same(ownLeaks(root), { mounts: [], cgroups: [], processes: [], state: [] }, 'nothing left behind');
  t.equal(refused + valid + failures.length, total, 'every case ran');
  t.comment(`mutated configs: ${total} (seed ${SEED}; ${byVerb.create} create, ${byVerb.run} run) in ${seconds.toFixed(1)} s: ${refused} refused in one line, ${valid} valid (created and deleted), ${failures.length} failed; ${warnings} warning lines`);
});
