#!/usr/bin/env node
// Interleaved A/B timing: `node bench/ab.mjs [-r RUNS] [-w WARMUP] [--shell] 'cmd A' 'cmd B' ...`
// runs the commands in turn (A, B, A, B, ...) and prints each one's median, mean and min wall time,
// and the difference of medians against the first. hyperfine runs all of A and then all of B, so
// on a machine others are using, load that comes and goes lands on one side only; taking turns
// spreads it over both. Commands are split on whitespace and run without a shell (--shell: through
// /bin/sh -c); their output is discarded, a non-zero exit status stops the run.
// The cpu column is user+sys of the command and what it waited for (cutime+cstime of this process,
// /proc/self/stat): less sensitive to other load than wall time, but in 10 ms ticks, so only its
// mean over many runs means anything.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let runs = 30;
let warmup = 3;
let shell = false;
const cmds = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-r') runs = Number(args[++i]);
  else if (args[i] === '-w') warmup = Number(args[++i]);
  else if (args[i] === '--shell') shell = true;
  else cmds.push(args[i]);
}
if (!cmds.length || !(runs > 0) || !(warmup >= 0)) {
  process.stderr.write("usage: node bench/ab.mjs [-r RUNS] [-w WARMUP] [--shell] 'cmd A' ['cmd B' ...]\n");
  process.exit(1);
}

/** cutime + cstime of this process in ms (USER_HZ is 100 on Linux). */
function childCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

function once(cmd) {
  const [file, ...argv] = shell ? ['/bin/sh', '-c', cmd] : cmd.split(/\s+/).filter(Boolean);
  const c0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  cpu.push(childCpuMs() - c0);
  if (r.status !== 0) {
    process.stderr.write(`ab: '${cmd}' failed (status ${r.status}, signal ${r.signal}, ${r.error?.message ?? ''})\n`);
    process.exit(1);
  }
  return ms;
}

let cpu = [];
const times = cmds.map(() => []);
const cpus = cmds.map(() => []);
for (let round = 0; round < warmup + runs; round++) {
  // Alternate the order too, so neither command always runs right after the other.
  const order = round % 2 ? [...cmds.keys()].reverse() : [...cmds.keys()];
  for (const i of order) {
    cpu = [];
    const ms = once(cmds[i]);
    if (round >= warmup) {
      times[i].push(ms);
      cpus[i].push(cpu[0]);
    }
  }
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const base = median(times[0]);
const baseCpu = mean(cpus[0]);
process.stdout.write(`| command | median (ms) | mean (ms) | min (ms) | Δ median vs first (ms) | cpu mean (ms) | Δ cpu vs first (ms) |\n|---|---|---|---|---|---|---|\n`);
cmds.forEach((c, i) => {
  const m = median(times[i]);
  const cm = mean(cpus[i]);
  process.stdout.write(`| \`${c}\` | ${m.toFixed(1)} | ${mean(times[i]).toFixed(1)} | ${Math.min(...times[i]).toFixed(1)} | ${i ? (m - base).toFixed(1) : ''} | ${cm.toFixed(1)} | ${i ? (cm - baseCpu).toFixed(1) : ''} |\n`);
});
