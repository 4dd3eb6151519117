// Generates the TypeScript message schemas of the shim's wire contract (the .proto files vendored
// in proto/, proto/README.md) into src/shim/gen/ with buf and protoc-gen-es, both npm packages
// (@bufbuild/buf ships its compiler binary inside the package), so `npm ci` is all it needs: no
// protoc on the host, no network. The output is gitignored and rebuilt by every build.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = path.join(root, 'node_modules', '.bin');
rmSync(path.join(root, 'src', 'shim', 'gen'), { recursive: true, force: true });
execFileSync(path.join(bin, 'buf'), ['generate', 'proto', '--template', 'proto/buf.gen.yaml'], {
  cwd: root,
  stdio: 'inherit',
  // buf finds the local plugin protoc-gen-es on PATH.
  env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
});
