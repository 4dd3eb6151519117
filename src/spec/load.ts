// Reading a bundle: <bundle>/config.json -> a validated Spec, plus the absolute paths create needs.
// Every failure is a one-line RuntimeError/SpecError naming the file or pointer (the CLI prints
// `.message`, never a stack). runtime-spec bundle.md: the bundle holds config.json and the root
// filesystem that config.md root.path names (relative paths are relative to the bundle).
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path = require('node:path');
import { RuntimeError, SpecError } from '../errors';
import type { Spec } from './types';
import { validateSpec } from './validate';

export interface LoadedBundle {
  spec: Spec;
  /** Absolute, symlink-free path of the bundle directory (State.bundle, runtime.md). */
  bundle: string;
  /** Absolute, symlink-free path of the root filesystem (root.path resolved against the bundle). */
  rootfs: string;
}

function fsCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Reads, parses and validates <bundleDir>/config.json and checks that the rootfs directory exists. */
export function loadBundleConfig(bundleDir: string): LoadedBundle {
  const wanted = path.resolve(bundleDir);
  let bundle: string;
  try {
    bundle = realpathSync(wanted);
  } catch (err) {
    throw new RuntimeError('bundle-not-found', `bundle ${wanted}: ${fsCode(err) === 'ENOENT' ? 'no such directory' : String(fsCode(err) ?? err)}`);
  }
  if (!statSync(bundle).isDirectory()) throw new RuntimeError('bundle-not-found', `bundle ${bundle}: not a directory`);

  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (fsCode(err) === 'ENOENT') throw new RuntimeError('config-not-found', `${file}: no such file (a bundle must contain config.json)`);
    throw new RuntimeError('config-unreadable', `${file}: cannot read: ${String(fsCode(err) ?? err)}`);
  }

  const spec = validateSpec(parseJsonFile(text, file));
  return { spec, bundle, rootfs: resolveRootfs(spec, bundle) };
}

/** config.md Root: "A directory MUST exist at the path declared by the field." */
function resolveRootfs(spec: Spec, bundle: string): string {
  // root is REQUIRED by the schema; the guard keeps this function honest on its own.
  if (!spec.root) throw new SpecError('/root', 'is required');
  const wanted = path.resolve(bundle, spec.root.path);
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch (err) {
    const why = fsCode(err) === 'ENOENT' ? 'does not exist' : `cannot be resolved (${String(fsCode(err) ?? err)})`;
    throw new SpecError('/root/path', `root filesystem ${wanted} ${why}`);
  }
  if (!statSync(real).isDirectory()) throw new SpecError('/root/path', `root filesystem ${wanted} is not a directory`);
  return real;
}

/**
 * JSON.parse with a one-line error naming the file, line and column. Node 20's own messages carry
 * no position for many errors and quote the input (which may span lines), so on failure a small
 * scanner (locateJsonError) finds where and why.
 */
export function parseJsonFile(text: string, file: string): unknown {
  // A UTF-8 byte order mark is not JSON (RFC 8259 section 8.1 lets parsers ignore it).
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const found = locateJsonError(body);
    if (found) {
      const { line, column } = lineAndColumn(body, found.pos);
      throw new SpecError('', `${file}: invalid JSON at line ${line}, column ${column}: ${found.reason}`, 'invalid-json');
    }
    const first = String((err as Error).message).split('\n')[0];
    throw new SpecError('', `${file}: invalid JSON: ${first}`, 'invalid-json');
  }
}

function lineAndColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

class JsonSyntax {
  constructor(readonly pos: number, readonly reason: string) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Finds the first RFC 8259 syntax error: its offset and a short reason, or undefined if the text
 * is valid JSON. Only runs after JSON.parse has failed, so it favours clarity over speed.
 */
export function locateJsonError(text: string): { pos: number; reason: string } | undefined {
  let i = 0;
  const describe = (at: number): string => (at >= text.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(text[at])}`);
  const fail = (reason?: string): never => {
    throw new JsonSyntax(i, reason ?? describe(i));
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const expect = (c: string, what: string): void => {
    if (text[i] !== c) fail(`expected ${what}, found ${i >= text.length ? 'end of input' : JSON.stringify(text[i])}`);
    i++;
  };
  const str = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character in string (escape it)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('invalid escape in string');
        i += 2;
        continue;
      }
      i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${i >= text.length ? 'end of input' : JSON.stringify(text[i])}`);
        str();
        ws();
        expect(':', "':' after the property name");
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}', "',' or '}' after a property value");
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']', "',' or ']' after an array element");
        return;
      }
    }
    if (c === '"') return str();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${JSON.stringify(text[i])} after the end of the document`);
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntax) return { pos: e.pos, reason: e.reason };
    throw e;
  }
}
