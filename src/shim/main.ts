// bin/containerd-shim-tsrun-v1: containerd's runtime v2 shim for tsrun (runtime name
// io.containerd.tsrun.v1; containerd derives the binary name from it, runtime/v2/shim/util.go
// BinaryName). The actions are containerd 1.6's (runtime/v2/shim/shim.go run): `start` prints the
// ttrpc address of a server for the task, `delete` cleans up after a dead one, and no action is
// the server itself (serve.ts). Errors: one line on stderr, exit 1 (the Go shims print
// "<name>: <error>").
import fs = require('node:fs');
import path = require('node:path');
import { parseShimFlags } from './flags';
import { startAction } from './start-action';
import { deleteAction } from './delete-action';
import { serve } from './serve';
import { log } from '../log';

const NAME = 'containerd-shim-tsrun-v1';

/** tsrun's version, from the package.json next to dist/ (the bundle is dist/shim/shim.js). */
function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function main(argv: string[]): Promise<void> {
  const f = parseShimFlags(argv);
  if (f.version) {
    process.stdout.write(`${NAME}:\n  Version:  tsrun ${packageVersion()}\n  Node.js:  ${process.version}\n`);
    return;
  }
  // shim.go: "shim namespace cannot be empty".
  if (f.namespace === '') throw new Error('shim namespace cannot be empty');
  switch (f.action) {
    case 'start':
      process.stdout.write(await startAction(f, __filename));
      return;
    case 'delete':
      process.stdout.write(deleteAction(f));
      return;
    case '':
      if (f.socket === '') throw new Error('the server needs -socket (it is started by the start action)');
      await serve(f);
      return;
    default:
      throw new Error(`unknown action ${JSON.stringify(f.action)}`);
  }
}

process.on('uncaughtException', (e) => {
  log.error(`internal error: ${e.stack ?? e.message}`);
  process.exit(1);
});

main(process.argv.slice(2)).catch((e: Error) => {
  process.stderr.write(`${NAME}: ${e.message}\n`);
  process.exit(1);
});
