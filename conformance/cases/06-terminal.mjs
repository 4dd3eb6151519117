// runtime-spec config.md "Process" terminal and consoleSize, runtime-linux.md "/dev/console", and
// runc's console-socket contract (docs/terminals.md): the master goes to --console-socket as one
// SCM_RIGHTS message; foreground `run` relays the pty itself. A small python3 client receives the
// master the way containerd's go-runc and conmon do.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { eq, match, ok, succeeded } from '../lib/assert.mjs';
import { exec, RUN, TSRUN } from '../lib/context.mjs';

export const section = '6. terminal (process.terminal, consoleSize, /dev/console, --console-socket)';

const noPython = () => (spawnSync('python3', ['-c', 'import socket; socket.recv_fds'], { encoding: 'utf8' }).status === 0
  ? undefined : 'python3 with socket.recv_fds (3.9+) needed');
const noScript = () => (spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0 ? undefined : 'script(1) from util-linux needed');

// Listens, runs `create` (whose stdio are pipes: with a terminal it must not keep them), receives
// the master, types `input`, runs `start`, reads the pty until EIO, prints one JSON line.
const CLIENT = `
import json, os, socket, subprocess, sys
sock, spec = sys.argv[1], json.loads(sys.argv[2])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock); srv.listen(1); srv.settimeout(30)
create = subprocess.Popen(spec["create"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
conn, _ = srv.accept()
msg, fds, flags, _ = socket.recv_fds(conn, 4096, 4)
out, err = create.communicate(timeout=30)
if create.returncode != 0:
    print(json.dumps({"error": err.decode()})); sys.exit(1)
os.write(fds[0], spec["input"].encode())
subprocess.run(spec["start"], check=True, timeout=30)
data = b""
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    data += d
print(json.dumps({"msg": msg.decode(), "nfds": len(fds), "out": data.decode()}))
`;

/** "key=value" lines printed by the container. */
function kv(out) {
  const o = {};
  for (const l of out.split(/\r?\n/)) {
    const m = /^(\w+)=(.*)$/.exec(l);
    if (m) o[m[1]] = m[2];
  }
  return o;
}

export default [
  {
    name: 'terminal_console_socket',
    rule: 'config.md terminal: "attaches a pseudoterminal to the process"; consoleSize applied; runtime-linux.md: /dev/console is a bind mount of that pty; runc terminals.md: the master is sent to --console-socket with SCM_RIGHTS',
    skip: noPython,
    run: (ctx) => {
      ctx.config.process.terminal = true;
      ctx.config.process.consoleSize = { height: 24, width: 100 };
      ctx.config.process.args = ['sh', '-c', [
        'echo tty=$(tty)', 'echo size=$(stty size)', 'set -- $(cat /proc/self/stat); echo tty_nr=$7',
        'echo console=$(stat -L -c %t:%T /dev/console)', 'read x; echo got=$x',
      ].join('; ')];
      ctx.writeConfig();
      const client = path.join(ctx.work, 'client.py');
      fs.writeFileSync(client, CLIENT);
      const sock = path.join(ctx.work, 'console.sock');
      const spec = {
        create: [TSRUN, '--root', RUN.root, 'create', '--bundle', ctx.bundle, '--console-socket', sock, ctx.id],
        start: [TSRUN, '--root', RUN.root, 'start', ctx.id],
        input: 'over-the-master\n',
      };
      const r = exec('python3', [client, sock, JSON.stringify(spec)], { timeoutMs: 60_000 });
      succeeded(r, 'console socket client');
      const got = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
      eq(got.msg, '/dev/ptmx', 'message body');
      eq(got.nfds, 1, 'fds in the message');
      const o = kv(got.out);
      eq(o.tty, '/dev/pts/0', 'tty');
      eq(o.size, '24 100', 'stty size (consoleSize)');
      eq(o.tty_nr, String(136 << 8), 'controlling terminal (tty_nr)');
      eq(o.console, '88:0', '/dev/console device numbers');
      eq(o.got, 'over-the-master', 'input typed on the master');
      succeeded(ctx.delete(), 'tsrun delete');
      ctx.assertNothingLeft(ctx.id, { after: 'delete' });
    },
  },
  {
    name: 'terminal_foreground_run',
    rule: 'runc terminals.md foreground new-terminal mode: `run` without --console-socket relays the pty to its own stdio and returns the process exit status',
    skip: noScript,
    run: (ctx) => {
      ctx.config.process.terminal = true;
      ctx.config.process.args = ['sh', '-c', 'read x; echo got=$x; exit 5'];
      ctx.writeConfig();
      const cmd = `${TSRUN} --root ${RUN.root} run --bundle ${ctx.bundle} ${ctx.id}`;
      const r = exec('script', ['-qec', cmd, '/dev/null'], { input: 'through-the-relay\n' });
      eq(r.status, 5, `exit status (stderr: ${r.stderr.trim()})`);
      match(r.stdout, /got=through-the-relay\r\n/, 'relayed output');
      ok(!fs.existsSync(path.join(RUN.root, ctx.id)), 'container removed after the foreground run');
    },
  },
  {
    name: 'terminal_detach_without_console_socket_fail',
    rule: 'runc checkTerminal: a terminal with create (or run -d) and no --console-socket is refused; no container is made',
    patch: (c) => {
      c.process.terminal = true;
    },
    fail: 'cannot allocate tty if runc will detach without setting console socket',
  },
  {
    name: 'terminal_console_socket_without_terminal_fail',
    rule: 'runc checkTerminal: --console-socket with process.terminal false is refused; no container is made',
    run: (ctx) => {
      const r = ctx.create(ctx.id, { flags: ['--console-socket', path.join(ctx.work, 'unused.sock')] });
      eq(r.status, 1, 'create exit status');
      match(r.stderr, /cannot use console socket if runc will not detach or allocate tty/, 'create stderr');
      ctx.assertNothingLeft();
    },
  },
];
