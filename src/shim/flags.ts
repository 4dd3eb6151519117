// The shim's command line, as containerd 1.6 passes it (runtime/v2/shim/shim.go parseFlags, with
// Go's flag package: `-flag value`, `--flag value` or `-flag=value`, booleans bare; parsing
// stops at the first argument that is not a flag, which is the action):
//   -namespace NS -address ADDR -publish-binary BIN -id ID [-debug] [-bundle DIR] [-socket PATH] start|delete
// The bare server (no action) is our own `start` re-running the binary with -socket.
import { UsageError } from '../errors';

export interface ShimFlags {
  namespace: string;
  id: string;
  /** containerd's gRPC address (used to name the shim's socket, as its own shims do). */
  address: string;
  publishBinary: string;
  bundle: string;
  socket: string;
  debug: boolean;
  version: boolean;
  action: string;
}

const STRING_FLAGS: Record<string, keyof ShimFlags> = {
  namespace: 'namespace', id: 'id', address: 'address', 'publish-binary': 'publishBinary', bundle: 'bundle', socket: 'socket',
};
const BOOL_FLAGS: Record<string, keyof ShimFlags> = { debug: 'debug', v: 'version' };

export function parseShimFlags(argv: readonly string[]): ShimFlags {
  const f: ShimFlags = { namespace: '', id: '', address: '', publishBinary: 'containerd', bundle: '', socket: '', debug: false, version: false, action: '' };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name in BOOL_FLAGS) {
      const v = eq < 0 ? 'true' : body.slice(eq + 1);
      (f as unknown as Record<string, unknown>)[BOOL_FLAGS[name] as string] = v === 'true' || v === '1';
      continue;
    }
    const key = STRING_FLAGS[name];
    if (!key) throw new UsageError(`flag provided but not defined: -${name}`);
    let v: string | undefined;
    if (eq >= 0) v = body.slice(eq + 1);
    else v = argv[++i];
    if (v === undefined) throw new UsageError(`flag needs an argument: -${name}`);
    (f as unknown as Record<string, unknown>)[key] = v;
  }
  f.action = argv[i] ?? '';
  return f;
}
