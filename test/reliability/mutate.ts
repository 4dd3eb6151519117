// Mutations of a config.json for test/reliability/mutated-configs.test.ts: seeded, so a failing
// case is reproduced from its seed and number alone. Each case applies one to three mutations to a
// copy of a valid config: a value of another type, a field removed or inserted, a bad value (out
// of range, huge, empty, a path that climbs out), unicode, wrong nesting (wrapped, unwrapped,
// moved), and now and then a broken JSON text.

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Key = string | number;

/**
 * Numbers JSON.stringify cannot write (beyond 2^53, 1e400): a placeholder string in the tree,
 * replaced by the literal in the text (so JSON.parse in tsrun sees the real digits).
 */
const BIG = ['18446744073709551616', '-9223372036854775809', '9007199254740993', '1e400', '-1e400', '1e-400', '123456789012345678901234567890'];
const bigMark = (i: number): string => `@@big${i}@@`;

const NUMBERS = [0, -1, 1, -0.5, 0.5, 65535, 65536, 2147483647, 2147483648, -2147483649, 4294967295, 4294967296, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e21, 1e308];
const UNICODE = ['é', '日本語', '\u202e', '\u200b', '\ud83d\udc33', '\ud800', '\udfff', '\u0000', '\u0007', '\n', '\t', 'ǅ', '\ufeff', '\uffff', 'Ⅻ', '/\u2215/'];
const STRINGS = ['', ' ', 'a', 'true', '0', '-1', 'null', '/', '//', '.', '..', '../../..', '/proc/self', '/nonexistent', 'a/../../b', 'none', 'rw,bogus', '%s%n', '${HOME}', 'x'.repeat(5000)];
const KEYS = ['', 'x', '__proto__', 'constructor', 'uid', 'type', 'path', 'options', 'limit', 'hostname', 'args', 'env', 'cwd', 'resources', 'namespaces', 'devices', 'mounts', 'annotations', 'cgroupsPath', 'unknownField', 'ǅ', '\ud83d\udc33'];

export interface Mutated {
  /** The config.json text to write. */
  text: string;
  /** What was done, one item per mutation (for the failure message). */
  ops: string[];
}

export function mutateConfig(base: Json, rand: () => number): Mutated {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const c = structuredClone(base);
  const ops: string[] = [];

  function unicodeString(): string {
    let s = '';
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) s += rand() < 0.3 ? pick(STRINGS.slice(0, 12)) : pick(UNICODE);
    return s;
  }
  function scalar(): Json {
    const r = rand();
    if (r < 0.3) return pick(NUMBERS);
    if (r < 0.4) return bigMark(Math.floor(rand() * BIG.length));
    if (r < 0.65) return pick(STRINGS);
    if (r < 0.8) return unicodeString();
    if (r < 0.9) return rand() < 0.5;
    return null;
  }
  function value(depth = 0): Json {
    const r = rand();
    if (depth < 2 && r < 0.15) return Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1));
    if (depth < 2 && r < 0.3) {
      const o: Record<string, Json> = {};
      for (let i = Math.floor(rand() * 3); i > 0; i--) {
        Object.defineProperty(o, pick(KEYS), { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    return scalar();
  }
  const kind = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  /** A value of another JSON type than `v`. */
  function otherType(v: Json): Json {
    for (;;) {
      const w = value();
      if (kind(w) !== kind(v)) return w;
    }
  }
  /** Every [parent, key] in the tree (not the root itself). */
  function slots(): Array<[Json[] | Record<string, Json>, Key, string]> {
    const out: Array<[Json[] | Record<string, Json>, Key, string]> = [];
    const walk = (node: Json, at: string): void => {
      if (Array.isArray(node)) node.forEach((v, i) => { out.push([node, i, `${at}/${i}`]); walk(v, `${at}/${i}`); });
      else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) { out.push([node, k, `${at}/${k}`]); walk(v, `${at}/${k}`); }
    };
    walk(c, '');
    return out;
  }
  function containers(): Array<[Json[] | Record<string, Json>, string]> {
    const out: Array<[Json[] | Record<string, Json>, string]> = [[c as Record<string, Json>, '']];
    for (const [p, k, at] of slots()) {
      const v = (p as any)[k] as Json;
      if (v !== null && typeof v === 'object') out.push([v as Json[] | Record<string, Json>, at]);
    }
    return out;
  }
  const show = (v: Json): string => {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  };

  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    const all = slots();
    if (all.length === 0) break;
    const [parent, key, at] = pick(all);
    const cur = (parent as any)[key] as Json;
    const set = (v: Json): void => {
      (parent as any)[key] = v;
    };
    const op = rand();
    if (op < 0.2) {
      const v = otherType(cur);
      set(v);
      ops.push(`type ${at} = ${show(v)}`);
    } else if (op < 0.35) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      ops.push(`remove ${at}`);
    } else if (op < 0.5) {
      const [target, tat] = pick(containers());
      const v = value();
      if (Array.isArray(target)) {
        const pos = Math.floor(rand() * (target.length + 1));
        target.splice(pos, 0, v);
        ops.push(`insert ${tat}/${pos} = ${show(v)}`);
      } else {
        const k = rand() < 0.5 ? pick(KEYS) : unicodeString();
        // defineProperty: an own "__proto__" key too, as JSON.parse makes one.
        Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
        ops.push(`insert ${tat}/${k} = ${show(v)}`);
      }
    } else if (op < 0.7) {
      const v = typeof cur === 'number' ? (rand() < 0.5 ? pick(NUMBERS) : bigMark(Math.floor(rand() * BIG.length)))
        : typeof cur === 'string' ? pick(STRINGS) : scalar();
      set(v);
      ops.push(`bad value ${at} = ${show(v)}`);
    } else if (op < 0.8) {
      const v = typeof cur === 'string' && rand() < 0.5 ? cur + unicodeString() : unicodeString();
      set(v);
      ops.push(`unicode ${at} = ${show(v)}`);
    } else if (op < 0.95) {
      const r = rand();
      if (r < 0.35) {
        set([cur]);
        ops.push(`nest ${at} in an array`);
      } else if (r < 0.6) {
        set({ [pick(KEYS)]: cur });
        ops.push(`nest ${at} in an object`);
      } else if (r < 0.8 && cur !== null && typeof cur === 'object') {
        const inner = Object.values(cur)[0] ?? null;
        set(inner as Json);
        ops.push(`unnest ${at} (its first member)`);
      } else {
        // Moved under another container: removed here, inserted there.
        const [target, tat] = pick(containers());
        if (target === cur) {
          set([cur]);
          ops.push(`nest ${at} in an array`);
        } else {
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete parent[key as string];
          if (Array.isArray(target)) target.push(cur);
          else target[typeof key === 'string' ? key : 'moved'] = cur;
          ops.push(`move ${at} under ${tat || '/'}`);
        }
      }
    } else {
      set(value());
      ops.push(`replace ${at}`);
    }
  }
  let text = JSON.stringify(c, null, 2).replace(/"@@big(\d+)@@"/g, (_, i: string) => BIG[Number(i)]);
  // Now and then the text itself is broken: cut short, trailing garbage, a BOM, a bare literal.
  if (rand() < 0.04) {
    const r = rand();
    if (r < 0.3) {
      const at = Math.floor(rand() * text.length);
      text = text.slice(0, at);
      ops.push(`text cut at ${at}`);
    } else if (r < 0.5) {
      text += pick(['}', ']', ',', 'x', '\u0000', '{}']);
      ops.push('text with trailing garbage');
    } else if (r < 0.7) {
      text = `\ufeff${text}`;
      ops.push('text with a BOM');
    } else {
      text = pick(['', 'null', '[]', '1e400', '"config"', '{"ociVersion":']);
      ops.push(`text ${JSON.stringify(text)}`);
    }
  }
  return { text, ops };
}
