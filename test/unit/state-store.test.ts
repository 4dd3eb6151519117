import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkId, listIds, makeContainerDir, readRecord, writeRecord, type ContainerRecord } from '../../src/state/store';
import { parseProcStat, statusFromFacts, isOurProcessAlive, readProcStat } from '../../src/state/status';
import { SPEC_VERSION } from '../../src/spec/version';

t.test('ids: runc rule', async (t) => {
  for (const ok of ['a', 'abc-DEF_1.2+3', 'x'.repeat(1024)]) t.equal(checkId(ok), ok);
  for (const bad of ['', '.', '..', 'a/b', '../x', 'a b', 'x'.repeat(1025), 'é']) {
    t.throws(() => checkId(bad), JSON.stringify(bad));
  }
});

function rec(id: string): ContainerRecord {
  return {
    ociVersion: SPEC_VERSION, id, pid: 0, bundle: '/b', rootfs: '/b/rootfs', created: new Date(0).toISOString(), owner: 'root',
    startTime: 0, lastStatus: 'creating', ownPidNamespace: true, config: {},
  };
}

t.test('records: atomic write, read back, duplicate dir refused, list', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-store-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  makeContainerDir(root, 'c1');
  t.throws(() => makeContainerDir(root, 'c1'), /container with id exists: c1/);
  t.throws(() => readRecord(root, 'c1'), /container "c1" does not exist/);
  const r = rec('c1');
  writeRecord(root, r);
  t.same(readRecord(root, 'c1'), r);
  t.same(fs.readdirSync(path.join(root, 'c1')), ['state.json'], 'no temp file left');
  makeContainerDir(root, 'a0');
  fs.mkdirSync(path.join(root, 'not valid'));
  t.same(listIds(root), ['a0', 'c1']);
  t.same(listIds(path.join(root, 'missing')), []);
  fs.writeFileSync(path.join(root, 'c1', 'state.json'), '{broken');
  t.throws(() => readRecord(root, 'c1'), /corrupt/);
});

t.test('proc stat parsing survives odd command names', async (t) => {
  const line = '1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100 18446744073709551615';
  t.same(parseProcStat(line), { state: 'S', startTime: 987654 });
  t.equal(parseProcStat('garbage'), undefined);
  const self = readProcStat(process.pid);
  t.ok(self && self.startTime > 0);
  t.ok(isOurProcessAlive(process.pid, self!.startTime));
  t.notOk(isOurProcessAlive(process.pid, self!.startTime + 1), 'a recycled pid is not ours');
  t.notOk(isOurProcessAlive(0, 0));
});

t.test('status from facts', async (t) => {
  const alive = { alive: true, fifoExists: false, frozen: false };
  t.equal(statusFromFacts({ lastStatus: 'creating', pid: 0 }, { ...alive, alive: false }), 'creating');
  t.equal(statusFromFacts({ lastStatus: 'created', pid: 5 }, { ...alive, fifoExists: true }), 'created');
  t.equal(statusFromFacts({ lastStatus: 'created', pid: 5 }, alive), 'running', 'fifo gone: started');
  t.equal(statusFromFacts({ lastStatus: 'running', pid: 5 }, { ...alive, frozen: true }), 'paused');
  t.equal(statusFromFacts({ lastStatus: 'running', pid: 5 }, { ...alive, alive: false }), 'stopped');
  t.equal(statusFromFacts({ lastStatus: 'creating', pid: 5 }, { ...alive, alive: false }), 'stopped');
});
