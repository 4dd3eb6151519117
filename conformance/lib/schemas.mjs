// JSON Schema checks of the documents tsrun prints (runtime.md "State", features.md), with ajv
// against the project's own schemas/ (written from runtime-spec v1.3.0). Compiled once per run.
import fs from 'node:fs';
import path from 'node:path';
// ajv is CommonJS: its module.exports is the Ajv class, which it also exports as `default`, the
// name the type declarations give it.
import ajvModule from 'ajv';

const Ajv = ajvModule.default;
import { REPO } from './context.mjs';

let ajv;
function compiler() {
  if (!ajv) {
    // strict: false because the schemas carry "$comment" and spec-prose keywords ajv need not know.
    ajv = new Ajv({ allErrors: true, strict: false });
    const dir = path.join(REPO, 'schemas');
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      ajv.addSchema(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    }
  }
  return ajv;
}

/** Throws a readable error unless `doc` is valid against schemas/<file>. */
export function assertSchema(file, doc, what = file) {
  const validate = compiler().getSchema(`tsrun:/schemas/${file}`);
  if (!validate) throw new Error(`schema ${file} not found in schemas/`);
  if (!validate(doc)) {
    const errs = validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new Error(`${what} is not valid against schemas/${file}: ${errs}`);
  }
}
