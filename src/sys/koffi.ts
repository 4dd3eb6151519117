// koffi, loaded the fast way: its prebuilt native addon straight through process.dlopen.
//
// Why: `require('koffi')` costs 8-9 ms in every process that makes a syscall (the CLI, and again
// in the init and exec stages). Its JS loader reads the ELF header of the node binary to tell
// glibc from musl, walks candidate paths with existsSync and require, and wraps the addon; the
// dlopen itself is about 1.5 ms. koffi 3.x keeps the addon for linux-x64 in its optional
// dependency @koromix/koffi-linux-x64 (linux_x64/koffi.node for glibc, musl_x64/ for musl), or,
// when built from source by its install script, in koffi/build/koffi/<platform>_<arch>/.
//
// The API is the same object: koffi's loader exports the addon's own properties. Its wrapper only
// adds deprecated aliases (lib.cdecl/stdcall, resolve, introspect, register with a `this`) that
// tsrun does not use, and checks that the addon's version is the JS package's; we check against
// the version scripts/build.mjs saw in node_modules/koffi/package.json.
//
// Anything unexpected (no file, a musl host, another arch, a version mismatch, a failing dlopen)
// falls back to `require('koffi')`, which does the full detection: never faster, never broken.
import fs = require('node:fs');
import path = require('node:path');
import type KoffiDefault from 'koffi';
import { trace } from '../trace';

export type Koffi = typeof KoffiDefault;

// Set by scripts/build.mjs (esbuild `define`); undefined when the sources run unbundled (tests).
declare const TSRUN_KOFFI_VERSION: string | undefined;
const expectedVersion = typeof TSRUN_KOFFI_VERSION === 'string' ? TSRUN_KOFFI_VERSION : undefined;

/** One addon per process, shared by every bundle loaded into it (main.ts + a verb bundle). */
const SHARED = Symbol.for('tsrun.koffi');

/** The addon files to try, nearest node_modules first (dist/, dist/verbs/ or src/sys/ upwards). */
export function addonCandidates(from: string, platform = process.platform, arch = process.arch): string[] {
  const triplet = `${platform}_${arch}`;
  const out: string[] = [];
  let dir = from;
  for (let i = 0; i < 4; i++) {
    const nm = path.join(dir, 'node_modules');
    out.push(path.join(nm, '@koromix', `koffi-${platform}-${arch}`, triplet, 'koffi.node'));
    out.push(path.join(nm, 'koffi', 'build', 'koffi', triplet, 'koffi.node'));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

/** process.dlopen of the first candidate that exists and loads; undefined if none does. */
export function dlopenKoffi(candidates: string[], version = expectedVersion): Koffi | undefined {
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    try {
      const mod = { exports: {} as Record<string, unknown> };
      process.dlopen(mod, file);
      const native = mod.exports;
      // A version other than the JS package's is a broken install: koffi's own loader says so.
      if (typeof native.load !== 'function' || (version !== undefined && native.version !== version)) return undefined;
      return native as unknown as Koffi;
    } catch {
      // e.g. the glibc build on a musl host: try the next one
    }
  }
  return undefined;
}

function loadKoffi(): Koffi {
  const g = globalThis as Record<symbol, Koffi | undefined>;
  const shared = g[SHARED];
  if (shared) return shared;
  const k = dlopenKoffi(addonCandidates(__dirname)) ?? (require('koffi') as Koffi);
  g[SHARED] = k;
  trace('koffi loaded');
  return k;
}

/**
 * koffi, loaded at the first call: a command that makes no raw syscall (state, list, spec, and
 * kill or delete of a stopped container) never pays for the dlopen (4-8 ms).
 */
export function koffi(): Koffi {
  return loaded ?? (loaded = loadKoffi());
}
let loaded: Koffi | undefined;
