// How a schema validator's first error becomes one line: the JSON pointer of the failing value and
// what was expected there, in plain words (shared by validate.ts and validate-process.ts, which use
// different generated validators).
import { type ErrorCode, SpecError } from '../errors';
import type { CompiledValidator, ValidatorError } from './generated/validators';

/** Integer widths of schemas/defs.json, for messages like "must be a uint32 (0..4294967295)". */
const RANGE_TEXT: Record<string, string> = {
  int8: '-128..127',
  int16: '-32768..32767',
  int32: '-2147483648..2147483647',
  int64: '-9223372036854775808..9223372036854775807',
  uint8: '0..255',
  uint16: '0..65535',
  uint32: '0..4294967295',
  uint64: '0..18446744073709551615',
};
// The bounds as JSON.parse reads them from the schemas (2^63-1 and 2^64-1 round to doubles).
const INTEGER_WIDTHS: Array<[string, number, number]> = [
  ['int8', -128, 127],
  ['int16', -32768, 32767],
  ['int32', -2147483648, 2147483647],
  ['int64', -9223372036854775808, 9223372036854775807],
  ['uint8', 0, 255],
  ['uint16', 0, 65535],
  ['uint32', 0, 4294967295],
  ['uint64', 0, 18446744073709551615],
];

function article(type: string): string {
  // "an integer", "an int64", but "a uint32" (said "you-int").
  return /^[aeio]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeType(t: unknown): string {
  const types = Array.isArray(t) ? t.map(String) : [String(t)];
  return types.map((x) => (x === 'object' ? 'an object' : x === 'array' ? 'an array' : article(x))).join(' or ');
}

/** Turns one ajv error into [pointer, plain-words message]. Exported for tests. */
export function describeSchemaError(e: ValidatorError): [string, string] {
  const p = e.params;
  switch (e.keyword) {
    case 'required': {
      const prop = String(p.missingProperty).replace(/~/g, '~0').replace(/\//g, '~1');
      return [`${e.instancePath}/${prop}`, 'is required'];
    }
    case 'type':
      return [e.instancePath, `must be ${describeType(p.type)}`];
    case 'enum':
      return [e.instancePath, `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`];
    case 'minimum':
    case 'maximum': {
      // The generator runs ajv with verbose: true, so the error carries the whole {minimum, maximum}.
      const min = e.parentSchema?.minimum;
      const max = e.parentSchema?.maximum;
      if (typeof min === 'number' && typeof max === 'number') {
        const width = INTEGER_WIDTHS.find(([, lo, hi]) => lo === min && hi === max)?.[0];
        if (width) return [e.instancePath, `must be ${article(width)} (${RANGE_TEXT[width]})`];
        return [e.instancePath, `must be between ${min} and ${max}`];
      }
      return [e.instancePath, `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}`];
    }
    case 'minItems': {
      const n = Number(p.limit);
      return [e.instancePath, `must have at least ${n} item${n === 1 ? '' : 's'}`];
    }
    case 'minLength':
      return [e.instancePath, Number(p.limit) === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long`];
    case 'pattern':
      return [e.instancePath, `must match the pattern ${String(p.pattern)}`];
    default:
      return [e.instancePath, `fails the schema rule "${e.keyword}" (${JSON.stringify(p)})`];
  }
}

/** Throws SpecError for the first schema error; combinator wrappers ("if") are skipped. */
export function runSchema(validate: CompiledValidator, doc: unknown, what: string, code?: ErrorCode): void {
  if (validate(doc)) return;
  const errors = validate.errors ?? [];
  const first = errors.find((e) => e.keyword !== 'if') ?? errors[0];
  if (!first) throw new SpecError('', `${what} is invalid`, code);
  const [pointer, message] = describeSchemaError(first);
  if (pointer === '') throw new SpecError('', `${what} ${message}`, code);
  throw new SpecError(pointer, message, code);
}
