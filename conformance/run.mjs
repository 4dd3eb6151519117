#!/usr/bin/env node
// The conformance runner: one case per runtime-spec rule, each driven through the real
// bin/tsrun CLI on a bundle built from `tsrun spec` plus the case's patch (see README.md).
//
//   node conformance/run.mjs [FILTER...]     run the cases whose name contains any FILTER
//   node conformance/run.mjs --list          print the case names with their rules
//   node conformance/run.mjs --readme        rewrite conformance/README.md from the case files
//
// Prints "ok <name>", "not ok <name>: <reason>", "known failure <name>: <reason>" or
// "skip <name>: <reason>" per case, then "N passed, M failed, K skipped" (K = known failures +
// host skips). Exit status 0 iff M == 0. Runs as root; everything it makes is removed at the end,
// and a final leak check (mounts, cgroups, processes, state dirs) counts as one more case.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Context, RUN, REPO, ROOTFS, TSRUN } from './lib/context.mjs';
import { runCase } from './lib/run-case.mjs';
import { finalLeakCheck, leakBaseline } from './lib/leaks.mjs';
import { writeReadme } from './lib/readme.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

async function loadCases() {
  const dir = path.join(HERE, 'cases');
  const cases = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
    const mod = await import(pathToFileURL(path.join(dir, file)).href);
    if (!Array.isArray(mod.default)) throw new Error(`cases/${file} must export default an array of cases`);
    for (const c of mod.default) cases.push({ ...c, file, section: mod.section ?? file });
  }
  const seen = new Set();
  for (const c of cases) {
    if (!c.name || !/^[a-z0-9_]+$/.test(c.name)) throw new Error(`cases/${c.file}: bad case name ${JSON.stringify(c.name)}`);
    if (seen.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    if (!c.rule) throw new Error(`case ${c.name} has no rule`);
    seen.add(c.name);
  }
  return cases;
}

function loadKnownFailures() {
  const file = path.join(HERE, 'known-failures.json');
  if (!fs.existsSync(file)) return {};
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const [k, v] of Object.entries(doc)) {
    if (typeof v !== 'string' || !v) throw new Error(`known-failures.json: "${k}" needs a reason string`);
  }
  return doc;
}

/** Why the suite cannot run at all on this host, or undefined. */
function prerequisites() {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!fs.existsSync(path.join(REPO, 'dist', 'tsrun.js')) || !fs.existsSync(path.join(REPO, 'dist', 'init.js'))) return 'run `npm run build` first';
  if (!fs.existsSync(path.join(ROOTFS, 'bin', 'busybox'))) return 'run `bash scripts/setup-bundles.sh` first';
  if (!fs.existsSync(TSRUN)) return `${TSRUN} is missing`;
  return undefined;
}

function oneLine(s) {
  return String(s).replace(/\s*\n\s*/g, ' | ').trim();
}

async function main() {
  const argv = process.argv.slice(2);
  const cases = await loadCases();
  if (argv.includes('--list')) {
    for (const c of cases) console.log(`${c.name}\t${c.rule}`);
    return 0;
  }
  if (argv.includes('--readme')) {
    writeReadme(path.join(HERE, 'README.md'), cases);
    console.log(`wrote ${path.join(HERE, 'README.md')} (${cases.length} cases)`);
    return 0;
  }
  const filters = argv.filter((a) => !a.startsWith('--'));
  const selected = filters.length ? cases.filter((c) => filters.some((f) => c.name.includes(f))) : cases;
  if (selected.length === 0) {
    console.log(`not ok filter: no case name contains ${filters.join(' or ')}`);
    console.log('0 passed, 1 failed, 0 skipped');
    return 1;
  }
  const known = loadKnownFailures();
  for (const k of Object.keys(known)) {
    if (!cases.some((c) => c.name === k)) throw new Error(`known-failures.json names an unknown case "${k}"`);
  }

  const missing = prerequisites();
  if (missing) {
    console.log(`not ok prerequisites: ${missing}`);
    console.log(`0 passed, 1 failed, ${selected.length} skipped`);
    return 1;
  }

  fs.mkdirSync(RUN.root, { recursive: true, mode: 0o700 });
  const baseline = leakBaseline();
  let passed = 0;
  let failedCount = 0;
  let skipped = 0;
  // Cases run synchronously, so a signal is only seen between cases (the loop yields to the event
  // loop after each): the case in progress finishes and cleans up, then the run stops early.
  let interrupted;
  const onSignal = (sig) => {
    interrupted = sig;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const t0 = Date.now();
  let index = 0;
  for (const c of selected) {
    await new Promise((resolve) => setImmediate(resolve));
    if (interrupted) {
      failedCount++;
      console.log(`not ok interrupted: ${interrupted} before ${c.name}; the remaining cases did not run`);
      break;
    }
    index++;
    const skip = typeof c.skip === 'function' ? c.skip() : c.skip;
    if (skip) {
      skipped++;
      console.log(`skip ${c.name}: ${skip}`);
      continue;
    }
    const ctx = new Context(c.name, index);
    /** @type {unknown} */
    let error;
    try {
      await runCase(c, ctx);
    } catch (e) {
      error = e;
    }
    const cleanupErrors = ctx.cleanup();
    if (!error && cleanupErrors.length) error = new Error(`cleanup failed: ${cleanupErrors.join('; ')}`);
    const reason = error ? oneLine(error instanceof Error ? error.message : error) : '';
    if (c.name in known) {
      if (error) {
        skipped++;
        console.log(`known failure ${c.name}: ${known[c.name]} (got: ${reason})`);
      } else {
        failedCount++;
        console.log(`not ok ${c.name}: listed in known-failures.json but passes now; remove it from the list`);
      }
    } else if (error) {
      failedCount++;
      console.log(`not ok ${c.name}: ${reason}`);
    } else {
      passed++;
      console.log(`ok ${c.name}`);
    }
  }

  const leaks = finalLeakCheck(baseline);
  if (leaks.length) {
    failedCount++;
    console.log(`not ok leak_check: ${leaks.join('; ')}`);
  } else {
    passed++;
    console.log('ok leak_check');
  }
  console.log(`(${selected.length} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`${passed} passed, ${failedCount} failed, ${skipped} skipped`);
  return failedCount === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.log(`not ok runner: ${oneLine(e?.stack ?? e)}`);
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(1);
  },
);
