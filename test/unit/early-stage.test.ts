// src/launcher/parent/early-stage.ts: the dispatcher's hold on an init stage spawned ahead. A `sleep`
// stands in for the stage (no root needed): launchInit takes it only with the same spawnKey, and
// anything else (another key, no taker, a signal) kills it and waits until it is reaped.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { EarlyStage } from '../../src/launcher/parent/early-stage';

function standIn(): ChildProcess {
  return spawn('sleep', ['1000'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

const listeners = (): number => process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');

t.test('the same key: taken, and dispose leaves it to its new owner', async (t) => {
  const before = listeners();
  const child = standIn();
  const e = new EarlyStage(child, 'k');
  t.equal(listeners(), before + 2, 'SIGTERM and SIGINT handled while it waits');
  t.equal(e.take('k'), child);
  t.equal(listeners(), before, 'the taker handles signals from here on');
  t.equal(e.take('k'), undefined, 'only once');
  await e.dispose();
  t.ok(alive(child.pid!), 'still running after dispose');
  child.kill('SIGKILL');
});

t.test('another key: killed, not handed over; dispose reaps it', async (t) => {
  const child = standIn();
  const e = new EarlyStage(child, 'k');
  t.equal(e.take('other'), undefined);
  await e.dispose();
  t.notOk(alive(child.pid!), 'gone');
  t.ok(child.signalCode === 'SIGKILL', 'SIGKILLed and reaped');
});

t.test('never taken (the verb failed before launchInit): dispose kills and reaps it', async (t) => {
  const before = listeners();
  const child = standIn();
  const e = new EarlyStage(child, 'k');
  await e.dispose();
  t.notOk(alive(child.pid!), 'gone');
  t.equal(child.signalCode, 'SIGKILL');
  t.equal(listeners(), before, 'signal handlers removed');
  t.equal(e.take('k'), undefined, 'nothing left to take');
});

t.test('a stage that already died is not handed over', async (t) => {
  const child = standIn();
  const e = new EarlyStage(child, 'k');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.equal(e.take('k'), undefined);
  await e.dispose();
});

t.test('SIGTERM while a verb handler is there too: the stage is gone before that handler runs', async (t) => {
  const child = standIn();
  const e = new EarlyStage(child, 'k');
  let seenAlive: boolean | undefined;
  const verbHandler = (): void => {
    seenAlive = alive(child.pid!);
  };
  process.on('SIGTERM', verbHandler);
  try {
    process.emit('SIGTERM', 'SIGTERM');
  } finally {
    process.removeListener('SIGTERM', verbHandler);
  }
  t.equal(seenAlive, false, 'killed and waited for synchronously, then the verb\'s handler ran');
  t.equal(e.take('k'), undefined, 'not handed over after the signal');
  await e.dispose();
});
