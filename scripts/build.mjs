// Builds tsrun into single-file bundles (esbuild), each loaded bundle with a V8 code cache
// (<bundle>.cache, src/boot/code-cache.ts):
//   dist/tsrun.js         the CLI dispatcher (every `tsrun` command starts here, through bin/tsrun),
//                         which loads dist/verbs/<verb>.js, one bundle per src/cli/commands/<verb>.ts
//   dist/stages/init.js   the init stage, spawned into the container's namespaces through its entry
//                         dist/init.js; it must hold all of its code in one file because host paths
//                         vanish at pivot_root (docs/ARCHITECTURE.md 1)
//   dist/stages/exec.js   the exec stage (tsrun exec), entry dist/exec.js
// Bundling is about start-up: one file parses faster than hundreds of module lookups, and every
// tsrun command is a fresh Node process. koffi stays external (it is a native addon, loaded by
// src/sys/koffi.ts).
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
process.chdir(root);

// JSON Schema validators are compiled ahead of time (ajv standalone) so that `create` does not
// pay for ajv's compiler on every start.
if (existsSync('scripts/gen-validators.mjs')) {
  execFileSync(process.execPath, ['scripts/gen-validators.mjs'], { stdio: 'inherit' });
}

// The shim's protobuf messages, from the .proto files in proto/ (scripts/gen-proto.mjs).
execFileSync(process.execPath, ['scripts/gen-proto.mjs'], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });

// src/sys/koffi.ts dlopens koffi's prebuilt addon itself and checks that it is the version of the
// koffi package the code was built against.
const koffiVersion = JSON.parse(readFileSync('node_modules/koffi/package.json', 'utf8')).version;

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // tar is loaded only by `spec --rootfs-tar`: left out of the bundle so no other command parses it.
  external: ['koffi', 'tar'],
  sourcemap: false,
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
  define: { TSRUN_KOFFI_VERSION: JSON.stringify(koffiVersion) },
};

await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/tsrun.js' });
// One bundle per verb (src/cli/commands/<verb>.ts -> dist/verbs/<verb>.js), loaded by main.ts on
// demand: each command parses only its own code. Shared modules are repeated in each bundle;
// that costs disk, not time.
const verbs = readdirSync('src/cli/commands').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
// Each verb bundle's entry wraps the command in run-verb.ts, which configures the bundle's own
// logger and reports the bundle's own errors (module state is per bundle).
for (const v of verbs) {
  await build({
    ...common,
    stdin: {
      contents: `const mod = require('./commands/${v}');\n` +
        `const { runVerb } = require('./run-verb');\n` +
        `exports.main = (verb, handler, argv, g) => runVerb(verb, mod[handler], argv, g);\n`,
      resolveDir: 'src/cli',
      sourcefile: `verb-${v}.js`,
      loader: 'js',
    },
    outfile: `dist/verbs/${v}.js`,
  });
}

// The init stage spawned by the dispatcher ahead of the create/run bundle (src/launcher/
// early-stage.ts): a bundle of its own, so no other verb parses it.
await build({ ...common, entryPoints: ['src/launcher/parent/early-stage.ts'], outfile: 'dist/early.js' });
// The init stage: spawned into the container's namespaces, it must hold all of its code in one
// file because host paths vanish at pivot_root.
await build({ ...common, entryPoints: ['src/launcher/stage/init-main.ts'], outfile: 'dist/stages/init.js' });
// The exec stage (tsrun exec): joins a container and spawns the process; one file for the same
// reason (it loads everything before it enters the container's mount namespace).
await build({ ...common, entryPoints: ['src/launcher/stage/exec-main.ts'], outfile: 'dist/stages/exec.js' });

// The user namespace trampoline (src/launcher/nsexec.c, docs/ARCHITECTURE.md section 1): C, because
// unshare(CLONE_NEWUSER) needs a single-threaded caller. Static, so its exec skips the dynamic
// loader: it runs on every create of a container with a user namespace.
execFileSync('gcc', ['-O2', '-static', '-Wall', '-Wextra', '-Werror', '-o', 'dist/tsrun-nsexec', 'src/launcher/nsexec.c'], { stdio: 'inherit' });
// containerd's runtime v2 shim (bin/containerd-shim-tsrun-v1): a long-lived server that calls the
// container code in-process. In dist/shim/ so that the stages' paths (../init.js) resolve as from
// dist/verbs/.
await build({ ...common, entryPoints: ['src/shim/main.ts'], outfile: 'dist/shim/shim.js' });

// The stages' entries, dist/init.js and dist/exec.js (the files src/launcher spawns, and the
// names the leak checks look for): each loads dist/stages/<its name> through its code cache.
for (const stage of ['init', 'exec']) {
  await build({ ...common, entryPoints: ['src/boot/stage-entry.ts'], outfile: `dist/${stage}.js` });
}

// Code caches, so that the first run after a build starts fast too (src/boot/warm-cache.ts says
// how warm each one is). One fresh node per bundle, without flags or NODE_OPTIONS: V8 rejects a
// cache made under other flags, and a process that compiled the source once would reuse its own
// compile. A failure here fails the build: it means the loader itself is broken.
const warm = await build({ ...common, entryPoints: ['src/boot/warm-cache.ts'], write: false });
const env = { ...process.env };
delete env.NODE_OPTIONS;
for (const b of ['dist/stages/init.js', 'dist/stages/exec.js', 'dist/early.js', ...verbs.map((v) => `dist/verbs/${v}.js`)]) {
  execFileSync(process.execPath, ['-e', warm.outputFiles[0].text, b], { stdio: ['ignore', 'ignore', 'inherit'], env });
}
