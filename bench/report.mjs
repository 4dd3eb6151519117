// The report of bench/run.sh: `node bench/report.mjs HYPERFINE.json RSS.tsv HOST.txt "tsrun runc [crun]"`.
// Prints markdown: the medians per command and runtime, the ratios to runc, the memory figures,
// and one PASS/FAIL line per target of issue 11 (all against `node -e 0` of the same run).
import { readFileSync } from 'node:fs';

const [jsonFile, rssFile, hostFile, rtList] = process.argv.slice(2);
const runtimes = rtList.split(' ');
const results = JSON.parse(readFileSync(jsonFile, 'utf8')).results;
const ms = new Map(results.map((r) => [r.command, r.median * 1000]));
const verbs = ['run', 'run-userns', 'create+start+delete', 'state', 'kill', 'list', 'delete', 'exec'];
const f1 = (x) => (x === undefined ? '—' : x.toFixed(1));
// hyperfine ran `node -e 0` first and last: the lower of the two, so load that came and went
// during the run makes the targets stricter, never looser.
const node = Math.min(ms.get('node -e 0'), ms.get('node -e 0 (again)') ?? Infinity);
const med = (rt, verb) => ms.get(`${rt} ${verb}`);

let out = `${readFileSync(hostFile, 'utf8').trim()}\n\n`;
out += `## Time (median ms of ${results[0].times.length} runs, one hyperfine invocation)\n\n`;
const others = runtimes.filter((rt) => rt !== 'runc');
out += `| command | ${runtimes.join(' | ')} | ${others.map((rt) => `${rt} / runc`).join(' | ')} |\n`;
out += `|---|${runtimes.map(() => '---|').join('')}${others.map(() => '---|').join('')}\n`;
for (const v of verbs) {
  const ratios = others.map((rt) => `${(med(rt, v) / med('runc', v)).toFixed(2)}×`);
  out += `| \`${v}\` | ${runtimes.map((rt) => f1(med(rt, v))).join(' | ')} | ${ratios.join(' | ')} |\n`;
}
out += `\n\`node -e 0\`: ${f1(ms.get('node -e 0'))} ms first, ${f1(ms.get('node -e 0 (again)'))} ms last (the targets use the lower).\n\n`;

// rss.tsv: "<runtime>\twait\tVmHWM:=kB VmRSS:=kB ... Pss:=kB" and "<runtime>\trun\tmaxrss=kB".
const mem = {};
for (const line of readFileSync(rssFile, 'utf8').split('\n').filter(Boolean)) {
  const [rt, what, fields] = line.split('\t');
  for (const [, k, v] of fields.matchAll(/(\w+):?=(\d+)/g)) (mem[rt] ??= {})[`${what}.${k}`] = Number(v);
}
const mib = (kb) => (kb === undefined ? '—' : (kb / 1024).toFixed(1));
out += `## Memory (MiB)\n\n`;
out += `| figure | ${runtimes.join(' | ')} |\n|---|${runtimes.map(() => '---|').join('')}\n`;
const rows = [
  ['waiting init stage of a created container: peak RSS (VmHWM)', 'wait.VmHWM'],
  ['  its RSS now (VmRSS)', 'wait.VmRSS'],
  ['  of which anonymous (RssAnon: its own memory)', 'wait.RssAnon'],
  ['  of which file pages (RssFile: binary and libraries, shared page cache)', 'wait.RssFile'],
  ['  its PSS (shared pages split among their users)', 'wait.Pss'],
  ['peak RSS of one `run` (ru_maxrss, descendants included)', 'run.maxrss'],
];
for (const [label, key] of rows) out += `| ${label} | ${runtimes.map((rt) => mib(mem[rt]?.[key])).join(' | ')} |\n`;
if (mem.node) {
  out += `\nA bare \`node -e\` peaks at ${mib(mem.node['wait.VmHWM'])} MiB (RssAnon ${mib(mem.node['wait.RssAnon'])}, RssFile ${mib(mem.node['wait.RssFile'])}): `;
  out += `the floor of any Node process, the init stage included.\n`;
}
out += '\n';

out += `## Targets (issue 11; n = \`node -e 0\` = ${f1(node)} ms)\n\n`;
const line = (ok, text) => { out += `- ${ok === undefined ? 'n/a ' : ok ? 'PASS' : 'FAIL'} ${text}\n`; };
const timeTarget = (verb, k, plus) => {
  const t = med('tsrun', verb);
  const limit = k * node + plus;
  line(t <= limit, `\`${verb}\`: ${f1(t)} ms <= ${k > 1 ? `${k} × ` : ''}${f1(node)} + ${plus} = ${f1(limit)} ms (${f1(Math.abs(t - limit))} ms ${t <= limit ? 'to spare' : 'over'}; runc ${f1(med('runc', verb))})`);
};
timeTarget('run', 2, 20);
timeTarget('create+start+delete', 4, 30);
for (const v of ['state', 'kill', 'list', 'delete']) timeTarget(v, 1, 5);
timeTarget('exec', 2, 15);
const hwm = mem.tsrun?.['wait.VmHWM'];
line(hwm === undefined ? undefined : hwm <= 40 * 1024,
  `peak RSS of the waiting init stage: VmHWM ${mib(hwm)} MiB <= 40 MiB (VmRSS now ${mib(mem.tsrun?.['wait.VmRSS'])}, RssAnon ${mib(mem.tsrun?.['wait.RssAnon'])})`);
process.stdout.write(out);
