// Tests `tsrun spec` (src/cli/commands/spec.ts): what it writes, what it refuses, and that the tar
// code is only loaded for --rootfs-tar.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs, { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { specCommand } from '../../src/cli/commands/spec';
import { RuntimeError, UsageError } from '../../src/errors';
import { SPEC_VERSION } from '../../src/spec/version';

/**
 * What `runc spec` writes, written out by hand from runc's own definition of it (Example() in
 * libcontainer/specconv/example.go, runc main after v1.5.0-rc.1), in the field order of the
 * runtime-spec Go structs, which is the order runc's JSON has. The file `tsrun spec` writes must be
 * this document, tab-indented like runc's, except for the differences that tsrun documents
 * (src/spec/default-spec.ts, README "Using it like runc"):
 *   - ociVersion: the runtime-spec version tsrun implements, not the one runc was built with;
 *   - hostname: "tsrun" instead of "runc";
 *   - capabilities.ambient: runc 1.1 listed the three capabilities as ambient too (runc 1.2
 *     stopped: "runc spec, libct/int: do not add ambient capabilities"); tsrun keeps runc 1.1's list;
 *   - no cgroup namespace: runc adds one only on a cgroup v2 host; tsrun's default does not depend
 *     on the host.
 * Not computed from src/spec/default-spec.ts: this is the reference that code is held to.
 */
const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const RUNC_SPEC_DOCUMENT = {
  ociVersion: SPEC_VERSION, // runc: specs.Version of the runtime-spec it vendors
  process: {
    terminal: true,
    user: { uid: 0, gid: 0 },
    args: ['sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
    cwd: '/',
    capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS, ambient: CAPS }, // runc >= 1.2: no ambient
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  root: { path: 'rootfs', readonly: true },
  hostname: 'tsrun', // runc: "runc"
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ],
  linux: {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    // runc appends { type: 'cgroup' } on a cgroup v2 host.
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    maskedPaths: [
      '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
      '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
    ],
    readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  },
};
/** runc writes its document with json.MarshalIndent(spec, "", "\t") and no trailing newline. */
const RUNC_LIKE_TEXT = JSON.stringify(RUNC_SPEC_DOCUMENT, null, '\t');

function tarLoaded(): boolean {
  return Object.keys(require.cache).some((k) => k.includes(`${path.sep}node_modules${path.sep}tar${path.sep}`));
}

t.test('writes the default spec, tab-indented like runc, into --bundle', async (t) => {
  const dir = t.testdir({});
  t.equal(await specCommand(['--bundle', dir]), 0);
  const text = readFileSync(path.join(dir, 'config.json'), 'utf8');
  t.equal(text, RUNC_LIKE_TEXT);
  t.match(text, /^\{\n\t"ociVersion": "1\.3\.0",\n\t"process": \{\n\t\t"terminal": true,/);
  t.notOk(tarLoaded(), 'the tar package is not loaded without --rootfs-tar');
});

t.test('-b is --bundle, and the default bundle is the current directory', async (t) => {
  const dir = t.testdir({ one: {}, two: {} });
  t.equal(await specCommand(['-b', path.join(dir, 'one')]), 0);
  t.ok(existsSync(path.join(dir, 'one', 'config.json')));
  const cwd = process.cwd();
  process.chdir(path.join(dir, 'two'));
  t.teardown(() => process.chdir(cwd));
  t.equal(await specCommand([]), 0);
  t.equal(readFileSync(path.join(dir, 'two', 'config.json'), 'utf8'), RUNC_LIKE_TEXT);
});

t.test('refuses an existing config.json with runc\'s message and leaves it alone', async (t) => {
  const dir = t.testdir({ 'config.json': '{"mine": true}' });
  await t.rejects(specCommand(['--bundle', dir]), { message: 'File config.json exists. Remove it first' });
  await t.rejects(specCommand(['--bundle', dir]), RuntimeError);
  t.equal(readFileSync(path.join(dir, 'config.json'), 'utf8'), '{"mine": true}');
});

t.test('--rootless writes the rootless spec (test/unit/rootless-spec.test.ts pins it), and still refuses to overwrite', async (t) => {
  const dir = t.testdir({});
  t.equal(await specCommand(['--rootless', '--bundle', dir]), 0);
  const doc = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { linux: { namespaces: { type: string }[] } };
  t.ok(doc.linux.namespaces.some((n) => n.type === 'user'));
  await t.rejects(specCommand(['--rootless', '--bundle', dir]), { message: 'File config.json exists. Remove it first' });
});

t.test('--help prints usage to stdout and succeeds', async (t) => {
  // Help is written synchronously to fd 1 (src/cli/output.ts: fs.writeSync), before the command's
  // first await, so fd 1 writes are captured only for that moment (tap's own TAP stream goes to
  // stdout as well).
  const captured: string[] = [];
  const run = (argv: string[]): Promise<number> => {
    const writeSync = fs.writeSync;
    fs.writeSync = ((fd: number, buf: Buffer | string, ...rest: unknown[]) => {
      if (fd !== 1) return (writeSync as (...a: unknown[]) => number)(fd, buf, ...rest);
      const b = Buffer.from(buf as Buffer);
      const off = typeof rest[0] === 'number' ? rest[0] : 0;
      const len = typeof rest[1] === 'number' ? rest[1] : b.length - off;
      captured.push(b.subarray(off, off + len).toString());
      return len;
    }) as typeof fs.writeSync;
    try {
      return specCommand(argv);
    } finally {
      fs.writeSync = writeSync;
    }
  };
  t.equal(await run(['--help']), 0);
  t.equal(await run(['-h', '--bundle', '/nonexistent']), 0, 'help wins over other flags');
  t.equal(captured.length, 2);
  t.match(captured[0], /^Usage: tsrun spec/);
  t.match(captured[0], /--rootfs-tar FILE/);
});

t.test('bad usage is a UsageError; a missing bundle is a RuntimeError', async (t) => {
  const dir = t.testdir({ file: 'x' });
  await t.rejects(specCommand(['--bundel', dir]), UsageError);
  await t.rejects(specCommand(['--bundle', dir, 'extra']), UsageError);
  await t.rejects(specCommand(['--bundle']), UsageError);
  await t.rejects(specCommand(['--bundle', dir, '--bundle', dir]), UsageError);
  await t.rejects(specCommand(['--rootfs-tar', '', '--bundle', dir]), UsageError);
  await t.rejects(specCommand(['--bundle', path.join(dir, 'missing')]), /bundle directory/);
  await t.rejects(specCommand(['--bundle', path.join(dir, 'file')]), /is not a directory/);
});

t.test('--rootfs-tar unpacks into <bundle>/rootfs and then writes config.json', async (t) => {
  const dir = t.testdir({ src: { bin: { sh: 'not really a shell' } }, bundle: {} });
  const tarball = path.join(dir, 'image.tar');
  execFileSync('tar', ['-cf', tarball, '-C', path.join(dir, 'src'), 'bin']);
  const bundle = path.join(dir, 'bundle');
  t.equal(await specCommand(['--bundle', bundle, '--rootfs-tar', tarball]), 0);
  t.equal(readFileSync(path.join(bundle, 'rootfs', 'bin', 'sh'), 'utf8'), 'not really a shell');
  t.equal(readFileSync(path.join(bundle, 'config.json'), 'utf8'), RUNC_LIKE_TEXT);
  t.ok(tarLoaded(), 'tar is loaded once it is needed (the check above can fail)');
});

t.test('--rootfs-tar does not unpack when config.json exists, and writes no config when unpacking fails', async (t) => {
  const dir = t.testdir({ exists: { 'config.json': '{}' }, fresh: { rootfs: { busy: 'x' } } });
  const tarball = path.join(dir, 'image.tar');
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src', 'f'), 'x');
  execFileSync('tar', ['-cf', tarball, '-C', path.join(dir, 'src'), 'f']);
  await t.rejects(specCommand(['-b', path.join(dir, 'exists'), '--rootfs-tar', tarball]), /config\.json exists/);
  t.notOk(existsSync(path.join(dir, 'exists', 'rootfs')), 'no rootfs unpacked');
  await t.rejects(specCommand(['-b', path.join(dir, 'fresh'), '--rootfs-tar', tarball]), /not empty/);
  t.notOk(existsSync(path.join(dir, 'fresh', 'config.json')), 'no config.json written');
});

t.test('messages read like runc\'s: no "spec:" of their own (the CLI prints "tsrun spec: " before them)', async (t) => {
  const dir = t.testdir({ file: 'x' });
  const cases: Array<[string[], string]> = [
    [['--bundel', dir], 'flag provided but not defined: --bundel'],
    [['--bundle', dir, 'extra'], '"tsrun spec" requires exactly 0 argument(s)'],
    [['--bundle'], '--bundle needs a value'],
    [['--bundle', dir, '--bundle', dir], '--bundle given more than once'],
    [['--bundle', path.join(dir, 'missing')], `bundle directory ${path.join(dir, 'missing')}: no such file or directory`],
    [['--bundle', path.join(dir, 'file')], `bundle ${path.join(dir, 'file')} is not a directory`],
  ];
  for (const [argv, message] of cases) {
    // t.rejects({message}) would only match a substring: compare the whole line.
    const err = await specCommand(argv).then(() => undefined, (e: unknown) => e);
    t.equal(err instanceof Error ? err.message : err, message, argv.join(' '));
  }
});
