// Types for validators.js, which scripts/gen-validators.mjs generates from schemas/*.json with ajv's
// standalone code generation (run `npm run build` or `node scripts/gen-validators.mjs`).
// Hand-written and committed so that `tsc` works before the first build.

/** One ajv error object (ajv DefinedError, generated with messages: false, verbose: true). */
export interface ValidatorError {
  /** JSON pointer of the failing value, e.g. "/process/args". */
  instancePath: string;
  /** Pointer into the schema, e.g. "#/definitions/uint32/maximum". */
  schemaPath: string;
  /** The failing keyword: "required", "type", "enum", "minItems", "maximum", ... */
  keyword: string;
  params: Record<string, unknown>;
  /** verbose: true: the schema object holding the failing keyword, and the failing value. */
  parentSchema?: { minimum?: number; maximum?: number; [k: string]: unknown };
  schema?: unknown;
  data?: unknown;
}

export interface CompiledValidator {
  (data: unknown): boolean;
  /** Set after a failed call (first error only: allErrors is false); null after success. */
  errors?: ValidatorError[] | null;
}

/** schemas/config-schema.json (with defs.json, config-linux.json, config-linux-resources.json). */
export const validateConfig: CompiledValidator;
/** schemas/state-schema.json */
export const validateState: CompiledValidator;
/** schemas/features-schema.json */
export const validateFeatures: CompiledValidator;
