// What the init stage's bundle (dist/init.js, from src/launcher/stage/init-main.ts) loads at its top
// level, every module of which runs before the stage can say `hello` (issue 11, "a leaner init
// entry"), and the same first rule for the exec stage and every verb bundle, whose top levels
// run on every command. Two rules, checked on the source's import graph:
//   - Node builtins through `import x = require('node:...')` or named imports, never a default or
//     namespace import: esbuild wraps those in __toESM(), which copies every export of the module
//     into a new object with getters, once per importing file (node:fs has ~100 exports; this
//     was about half of the bundle's module start-up).
//   - node:child_process is not imported at the top (it pulls in net and stream): hooks/run.ts
//     loads it when there are hooks to run.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const SRC = path.join(__dirname, '..', '..', 'src');

/** Files reachable from `entry` through value imports (type-only imports are erased by the build). */
function importGraph(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)) {
      if (m[1]) continue;
      const base = path.resolve(path.dirname(file), m[2]);
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((p) => fs.existsSync(p));
      if (target) todo.push(target);
    }
  }
  return [...seen].sort();
}

t.test('the init bundle imports builtins without __toESM and loads child_process lazily', async (t) => {
  const files = importGraph(path.join(SRC, 'launcher', 'stage', 'init-main.ts'));
  t.ok(files.length > 20, `the graph was followed (${files.length} files)`);
  t.ok(files.some((f) => f.endsWith(path.join('hooks', 'run.ts'))), 'hooks/run.ts is in it');
  for (const file of files) {
    const rel = path.relative(SRC, file);
    const text = fs.readFileSync(file, 'utf8');
    const wrapped = text.match(/^import\s+(?!type\b)(\*\s+as\s+\w+|\w+)\s+from\s+'node:[^']+'/gm) ?? [];
    t.same(wrapped, [], `${rel}: builtins as \`import x = require('node:...')\` or named imports`);
    const childProcess = text.match(/^import\s+(?!type\b)[^;]*from\s+'node:child_process'|^import\s+\w+\s*=\s*require\('node:child_process'\)/gm) ?? [];
    t.same(childProcess, [], `${rel}: no top-level node:child_process`);
  }
});

t.test('the exec stage and the verb bundles import builtins without __toESM', async (t) => {
  const entries = [path.join(SRC, 'launcher', 'stage', 'exec-main.ts'), path.join(SRC, 'cli', 'run-verb.ts')];
  for (const f of fs.readdirSync(path.join(SRC, 'cli', 'commands'))) if (f.endsWith('.ts')) entries.push(path.join(SRC, 'cli', 'commands', f));
  const files = new Set(entries.flatMap(importGraph));
  t.ok(files.size > 50, `the graphs were followed (${files.size} files)`);
  for (const file of [...files].sort()) {
    const wrapped = fs.readFileSync(file, 'utf8').match(/^import\s+(?!type\b)(\*\s+as\s+\w+|\w+)\s+from\s+'node:[^']+'/gm) ?? [];
    t.same(wrapped, [], `${path.relative(SRC, file)}: builtins as \`import x = require('node:...')\` or named imports`);
  }
});
