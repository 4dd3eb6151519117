// Writes conformance/README.md from the case files (`node conformance/run.mjs --readme`), so the
// list of cases by spec section never drifts from the code.
import fs from 'node:fs';

const INTRO = `# conformance/

tsrun's own runtime-spec conformance suite: one small case per rule of the OCI runtime-spec
(v1.3.0), driven through the real \`bin/tsrun\` CLI, each checking what the spec promises from
inside the container (a probe script run by busybox \`sh\`) and from outside (\`tsrun state\`,
/proc, /sys/fs/cgroup). \`*_fail\` cases check that \`tsrun create\` refuses, names the offending
field, and leaves no container behind (not in \`tsrun list -q\`, no state dir, no cgroup dir, no
host mount, no init stage still running).

\`\`\`
npm run build && bash scripts/setup-bundles.sh     # once
node conformance/run.mjs                           # all cases (as root, ~1-2 minutes)
node conformance/run.mjs mounts_ process_cwd       # only the cases whose name contains a filter
node conformance/run.mjs --list                    # names and rules
node conformance/run.mjs --readme                  # regenerate this file
\`\`\`

Each case builds a bundle in a temp dir: \`tsrun spec\` output with \`process.terminal: false\` and
\`root.path\` = the absolute path of \`bundles/busybox/rootfs\` (read-only, shared), then the case's
patch. The runner uses a private state root \`/run/tsrun-conformance-<pid>\`, always cleans up
(\`delete --force\`, temp dirs, test mounts and cgroups), and ends with a leak check of the whole
machine (mounts, cgroups, processes running \`dist/init.js\`, state dirs, temp dirs), which counts as
one more case. Output: \`ok <name>\`, \`not ok <name>: <reason>\`, \`known failure <name>: <reason>\`
or \`skip <name>: <reason>\` per case, then \`N passed, M failed, K skipped\`; exit status 0 iff M = 0.

## Known failures

\`known-failures.json\` maps a case name to the reason it fails today (a runtime bug being fixed).
Such a case still runs; it is printed as \`known failure\` and counted as skipped, never as passed.
A listed case that passes is reported as \`not ok\` until it is removed from the list.

## Writing a case

A case file in \`cases/\` exports \`section\` (a title) and a default array of cases:

| field | meaning |
|---|---|
| \`name\` | snake_case, like the rule; \`*_fail\` for refusals |
| \`rule\` | the spec section and the sentence (MUST/SHOULD) it checks |
| \`script\` | \`process.args\` becomes \`["sh", "-c", script]\` |
| \`patch(config, ctx)\` | edits config.json (after \`script\`) |
| \`fail\` | string / RegExp / array: \`create\` must fail with stderr containing each, and leave nothing |
| \`status\`, \`expect(result, ctx)\` | otherwise \`tsrun run\` must exit \`status\` (default 0); \`expect\` checks stdout/stderr |
| \`run(ctx)\` | custom body (lifecycle cases); \`ctx\` is \`lib/context.mjs\` |
| \`skip()\` | returns a reason when the host cannot run the case |

## Cases by spec section
`;

function cell(s) {
  return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function writeReadme(file, cases) {
  const bySection = new Map();
  for (const c of cases) {
    if (!bySection.has(c.section)) bySection.set(c.section, []);
    bySection.get(c.section).push(c);
  }
  let out = INTRO;
  for (const [section, list] of bySection) {
    out += `\n### ${section} (\`cases/${list[0].file}\`)\n\n| case | rule |\n|---|---|\n`;
    for (const c of list) out += `| \`${c.name}\` | ${cell(c.rule)} |\n`;
  }
  out += `\n${cases.length} cases.\n`;
  fs.writeFileSync(file, out);
}
