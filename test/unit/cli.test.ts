import t from 'tap';
import { parseGlobals } from '../../src/cli/globals';
import { parseFlags, int, oneId, str } from '../../src/cli/args';
import { formatLine } from '../../src/log';
import { formatTable } from '../../src/cli/commands/list';
import { SPEC_VERSION } from '../../src/spec/version';

t.test('global flags: both forms, before the verb only', async (t) => {
  const a = parseGlobals(['--root', '/r', '--log=/l', '--log-format', 'json', '--debug', 'create', '--bundle', 'b', 'id']);
  t.equal(a.g.root, '/r');
  t.equal(a.g.log, '/l');
  t.equal(a.g.logFormat, 'json');
  t.ok(a.g.debug);
  t.equal(a.verb, 'create');
  t.same(a.rest, ['--bundle', 'b', 'id']);
  t.equal(parseGlobals(['state', 'x']).g.root, '/run/tsrun');
  t.throws(() => parseGlobals(['--log-format', 'xml', 'list']), /invalid log format/);
  t.throws(() => parseGlobals(['--bogus', 'list']), /flag provided but not defined: --bogus/);
  t.throws(() => parseGlobals(['--root']), /flag needs an argument/);
  t.ok(parseGlobals(['-v']).g.version);
});

t.test('verb flags', async (t) => {
  const a = parseFlags('create', ['-b', 'dir', '--pid-file=p', '--preserve-fds', '2', 'id'], {
    string: ['bundle', 'pid-file', 'preserve-fds'], alias: { b: 'bundle' },
  });
  t.equal(str(a, 'bundle'), 'dir');
  t.equal(str(a, 'pid-file'), 'p');
  t.equal(int(a, 'preserve-fds', 0), 2);
  t.equal(oneId('create', a), 'id');
  t.throws(() => parseFlags('start', ['--nope', 'id'], {}), /flag provided but not defined: --nope/);
  t.throws(() => oneId('start', parseFlags('start', [], {})), /requires exactly 1 argument/);
  t.throws(() => oneId('start', parseFlags('start', ['a', 'b'], {})), /requires exactly 1 argument/);
  t.throws(() => int(parseFlags('c', ['--n', 'x'], { string: ['n'] }), 'n', 0), /invalid value "x"/);
});

t.test('log lines like runc (logrus)', async (t) => {
  const when = new Date('2026-01-02T03:04:05.000Z');
  t.same(JSON.parse(formatLine('error', 'boom "x"', 'json', when)), { level: 'error', msg: 'boom "x"', time: '2026-01-02T03:04:05.000Z' });
  t.equal(formatLine('warning', 'w', 'text', when), 'time="2026-01-02T03:04:05.000Z" level=warning msg="w"\n');
});

t.test('list table aligns columns', async (t) => {
  const out = formatTable([
    { ociVersion: SPEC_VERSION, id: 'a', pid: 12, status: 'running', bundle: '/b', rootfs: '/r', created: 'c', owner: 'root' },
    { ociVersion: SPEC_VERSION, id: 'longer-id', pid: 0, status: 'stopped', bundle: '/bundle', rootfs: '/r', created: 'c', owner: 'root' },
  ]);
  const lines = out.trimEnd().split('\n');
  t.equal(lines.length, 3);
  t.match(lines[0], /^ID\s{10}PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
  t.equal(lines[1].indexOf('12'), lines[0].indexOf('PID'));
});
