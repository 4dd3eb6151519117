// The runtime-spec version tsrun implements is written out once, in src/spec/version.ts; every
// other place (the default config, `features`, `--version`, validation, the tests) uses the
// constant. This test fails when a quoted copy of it appears anywhere else, so a version bump is
// one edit.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { SPEC_VERSION, SPEC_VERSION_MIN } from '../../src/spec/version';
import { defaultSpec } from '../../src/spec/default-spec';
import { buildFeatures } from '../../src/features';

const repo = path.resolve(__dirname, '..', '..');
const HOME = path.join('src', 'spec', 'version.ts');

function* files(dir: string): Generator<string> {
  for (const e of fs.readdirSync(path.join(repo, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'generated' && e.name !== 'node_modules' && e.name !== 'fixtures') yield* files(rel);
    } else if (/\.(ts|mjs|js|sh)$/.test(e.name)) {
      yield rel;
    }
  }
}

t.test(`the version string is quoted only in ${HOME}`, async (t) => {
  // The version in quotes (any quote character): a value, not a "[vX.Y.Z]" citation in a comment.
  const v = SPEC_VERSION.replace(/\./g, '\\.');
  const quoted = new RegExp(`(['"\`])${v}\\1`);
  const found: string[] = [];
  for (const dir of ['src', 'scripts', 'test', 'conformance', 'bench']) {
    if (!fs.existsSync(path.join(repo, dir))) continue;
    for (const rel of files(dir)) {
      if (rel === HOME) continue;
      fs.readFileSync(path.join(repo, rel), 'utf8').split('\n').forEach((line, i) => {
        if (quoted.test(line)) found.push(`${rel}:${i + 1}`);
      });
    }
  }
  t.same(found, [], 'use SPEC_VERSION from src/spec/version.ts instead');
  t.ok(fs.readFileSync(path.join(repo, HOME), 'utf8').match(quoted), 'and it is there');
});

t.test('the places that report the version take it from the constant', async (t) => {
  t.equal((defaultSpec() as { ociVersion: string }).ociVersion, SPEC_VERSION, 'tsrun spec');
  const f = buildFeatures();
  t.equal(f.ociVersionMax, SPEC_VERSION, 'features ociVersionMax');
  t.equal(f.ociVersionMin, SPEC_VERSION_MIN, 'features ociVersionMin');
  t.match(fs.readFileSync(path.join(repo, 'src', 'cli', 'main.ts'), 'utf8'), /spec: \$\{SPEC_VERSION\}/, 'tsrun --version');
});
