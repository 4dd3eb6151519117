// scripts/test.sh runs this before any test: it writes what is already on the machine (a user's
// own tsrun containers under /tsrun, leftovers of earlier work) to the file named in argv, so the
// final leak check counts only what the suite itself leaves (machine-leaks.ts).
import fs from 'node:fs';
import { machineLeaks } from './machine-leaks';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: leak-baseline.ts <output file>\n');
  process.exit(1);
}
fs.writeFileSync(out, JSON.stringify(machineLeaks()));
