// src/launcher/parent/trampoline.ts trampolineArgs and src/linux/id-maps.ts: what the parent tells the C
// trampoline (src/launcher/nsexec.c) to do for a config, and the map text the kernel gets. The
// trampoline itself is exercised by test/integration/userns*.test.ts.
import t from 'tap';
import { trampolineArgs } from '../../src/launcher/parent/trampoline';
import { needsTrampoline } from '../../src/launcher/parent/ns-window';
import { formatIdMap, mapsId } from '../../src/linux/id-maps';
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUTS } from '../../src/sys/constants';

t.test('only a user namespace or a joined time namespace needs the trampoline', async (t) => {
  t.notOk(needsTrampoline([{ type: 'pid' }, { type: 'mount' }, { type: 'time' }, { type: 'network', path: '/proc/1/ns/net' }]));
  t.ok(needsTrampoline([{ type: 'user' }]));
  t.ok(needsTrampoline([{ type: 'user', path: '/proc/1/ns/user' }]));
  t.ok(needsTrampoline([{ type: 'time', path: '/proc/1/ns/time' }]));
});

t.test('a new user namespace: -U, the rest unshared after it in one call, a clone for the pid namespace', async (t) => {
  const { args, fork } = trampolineArgs([
    { type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user', uidMappings: [], gidMappings: [] },
  ]);
  t.same(args, ['-U', '-n', String(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS), '-f']);
  t.ok(fork);
});

t.test('joins by path use the /proc/<pid>/ns names; a joined pid namespace needs the clone too', async (t) => {
  const { args, fork } = trampolineArgs([{ type: 'user', path: '/u' }, { type: 'network', path: '/n' }, { type: 'pid', path: '/p' }, { type: 'mount' }]);
  t.same(args, ['-j', 'user', '/u', '-j', 'net', '/n', '-j', 'pid', '/p', '-n', String(CLONE_NEWNS), '-f']);
  t.ok(fork);
});

t.test('time: offsets only for a new one; joining one moves the caller, so no clone', async (t) => {
  const made = trampolineArgs([{ type: 'user' }, { type: 'mount' }, { type: 'time' }], { monotonic: { secs: 5, nanosecs: 0 }, boottime: { secs: -2, nanosecs: 7 } });
  t.same(made.args, ['-U', '-n', String(CLONE_NEWNS | CLONE_NEWTIME), '-o', 'monotonic 5 0', '-o', 'boottime -2 7', '-f']);
  t.ok(made.fork, 'a new time namespace is entered by children only');
  const joined = trampolineArgs([{ type: 'user', path: '/proc/9/ns/user' }, { type: 'time', path: '/proc/9/ns/time' }]);
  t.same(joined.args, ['-j', 'user', '/proc/9/ns/user', '-j', 'time', '/proc/9/ns/time']);
  t.notOk(joined.fork, 'exec into a container: the trampoline execs the stage itself');
});

t.test('id maps: one line per range, in order; mapsId', async (t) => {
  const maps = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];
  t.equal(formatIdMap(maps), '0 100000 1000\n1000 0 1\n');
  t.ok(mapsId(maps, 0));
  t.ok(mapsId(maps, 999));
  t.ok(mapsId(maps, 1000));
  t.notOk(mapsId(maps, 1001));
});
