// Build time (scripts/build.mjs): writes one bundle's V8 code cache, in a fresh node without
// flags (V8 rejects a cache made under other flags): `node -e <this, bundled> <dist/...js>`.
// - A verb bundle's (and dist/early.js's) top level only defines its modules: it is run, and the cache made after it
//   holds every module's initialisation too. The first successful run of the verb replaces it
//   with a warmer one (code-cache.ts).
// - The stages run their main on load: they are compiled only. They never write a cache (the CLI
//   keeps theirs usable: refreshStageCache); their top level is mostly Node's own modules, and
//   warming it measured no difference.
import path = require('node:path');
import { flushCodeCaches, loadBundle, writeCompiledCache } from './code-cache';

const file = path.resolve(process.argv[1] ?? '');
// Everything but the stages (dist/stages/) only defines its modules at its top level.
const isVerb = path.basename(path.dirname(file)) !== 'stages';
/** A verb: run its top level, then write. `used`: a tsrun command run during the build has already
 * written a cache for this very file (seen while conformance ran against the dist/ being rebuilt). */
function warmVerb(): boolean {
  const { cache } = loadBundle(file, { write: true });
  return flushCodeCaches(true, 'build') === 1 || cache === 'used';
}
const ok = isVerb ? warmVerb() : writeCompiledCache(file);
if (!ok) {
  process.stderr.write(`warm-cache: could not write the code cache of ${file}\n`);
  process.exit(1);
}
