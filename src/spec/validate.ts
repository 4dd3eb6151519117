// Validation of the documents tsrun reads: config.json (schema, then the named semantic checks of
// checks.ts, then the unsupported-field refusals of unsupported.ts), the state document and the
// features document. The schema validators are precompiled by scripts/gen-validators.mjs, so this
// module loads no ajv compiler at run time (every tsrun command is a fresh process).
// Errors are one line: the JSON pointer of the first failing value and what was expected there.
import { refuseUnsupported } from './unsupported';
import { runSemanticChecks } from './checks';
import { validateConfig, validateFeatures, validateState } from './generated/validators';
import { runSchema } from './schema-errors';

export { describeSchemaError } from './schema-errors';
import type { Features, Spec, State } from './types';

/**
 * Validates a parsed config.json and returns it typed. Throws SpecError (schema or semantic rule,
 * with the JSON pointer) or UnsupportedError (a field tsrun does not implement yet).
 */
export function validateSpec(raw: unknown): Spec {
  runSchema(validateConfig, raw, 'config.json');
  const spec = raw as Spec;
  runSemanticChecks(spec);
  refuseUnsupported(spec);
  return spec;
}

/** Validates a container state document (runtime.md State); throws SpecError. */
export function validateStateDoc(doc: unknown): State {
  runSchema(validateState, doc, 'the state document', 'invalid-state');
  return doc as State;
}

/** Validates a features document (features.md); throws SpecError. */
export function validateFeaturesDoc(doc: unknown): Features {
  runSchema(validateFeatures, doc, 'the features document', 'invalid-features');
  return doc as Features;
}

/** Boolean forms, for callers that only need a yes/no (tests, `tsrun features` self-check). */
export function isValidState(doc: unknown): doc is State {
  return validateState(doc);
}
export function isValidFeatures(doc: unknown): doc is Features {
  return validateFeatures(doc);
}
