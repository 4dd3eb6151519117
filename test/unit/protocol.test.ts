import fs = require('node:fs');
import net = require('node:net');
import { spawn } from 'node:child_process';
import t from 'tap';
import {
  Decoder, INIT_TO_PARENT, PARENT_TO_INIT, encode, isOneOf, type Accepts, type InitAnswer, type InitToParent, type ParentToInit,
  type StageReport,
} from '../../src/launcher/protocol';
import { EXEC_TO_STAGE, STAGE_TO_EXEC, type ExecAnswer } from '../../src/stage-config/exec-config';
import { SyncChannel } from '../../src/launcher/stage/sync-channel';
import { StageHandle } from '../../src/launcher/parent/stage-handle';
import { StageError } from '../../src/errors';
import { socketPair } from '../../src/sys/unix-socket';

t.test('one message per line, split anywhere', async (t) => {
  const wire = encode({ type: 'hello' }) + encode({ type: 'warn', message: 'a\nb "quoted"' }) + encode({ type: 'ready' });
  for (let cut = 0; cut <= wire.length; cut++) {
    const d = new Decoder(INIT_TO_PARENT);
    const msgs = [...d.push(wire.slice(0, cut)), ...d.push(wire.slice(cut))];
    t.same(msgs.map((m) => m.type), ['hello', 'warn', 'ready'], `cut at ${cut}`);
    t.equal(d.pending, '');
  }
});

t.test('a newline inside a string value does not split a frame', async (t) => {
  const d = new Decoder(INIT_TO_PARENT);
  const [m] = d.push(encode({ type: 'error', step: 'mounts', message: 'line1\nline2' }));
  t.ok(isOneOf(m, ['error']) && m.message === 'line1\nline2', 'decoded as an error message, fields typed');
});

t.test('malformed frames are errors, partial ones wait', async (t) => {
  const d = new Decoder(INIT_TO_PARENT);
  t.same(d.push('{"type":"hel'), []);
  t.equal(d.pending, '{"type":"hel');
  t.throws(() => new Decoder(INIT_TO_PARENT).push('not json\n'), /not JSON/);
  t.throws(() => new Decoder(INIT_TO_PARENT).push('{"no":"type"}\n'), /malformed message/);
  t.throws(() => new Decoder(INIT_TO_PARENT).push('[1,2]\n'), /malformed message/);
  t.throws(() => new Decoder(INIT_TO_PARENT).push('null\n'), /malformed message/);
});

t.test('each direction accepts its own message types and nothing else', async (t) => {
  const accepts = (d: Decoder<{ type: string }>, line: object): boolean => {
    try {
      return d.push(JSON.stringify(line) + '\n').length === 1;
    } catch {
      return false;
    }
  };
  const cases: [string, Decoder<{ type: string }>, string[], string[]][] = [
    ['init -> parent', new Decoder(INIT_TO_PARENT), ['hello', 'ready', 'hooks', 'warn', 'debug', 'error'], ['go', 'bootstrap', 'spawned', 'exec', 'toString', '__proto__']],
    ['parent -> init', new Decoder(PARENT_TO_INIT), ['bootstrap', 'go', 'hooks-done'], ['hello', 'ready', 'error', 'exec']],
    ['exec stage -> tsrun exec', new Decoder(STAGE_TO_EXEC), ['hello', 'spawned', 'warn', 'debug', 'error'], ['ready', 'hooks', 'go', 'exec']],
    ['tsrun exec -> exec stage', new Decoder(EXEC_TO_STAGE), ['exec'], ['bootstrap', 'go', 'spawned']],
  ];
  // A well-formed example of every message type.
  const good: Record<string, object> = {
    hello: { type: 'hello' }, ready: { type: 'ready' }, go: { type: 'go' }, 'hooks-done': { type: 'hooks-done' },
    hooks: { type: 'hooks', phases: ['prestart'] }, warn: { type: 'warn', message: 'w' }, debug: { type: 'debug', message: 'd' },
    error: { type: 'error', step: 'mounts', message: 'm', code: 'syscall', syscall: 'mount', errno: 1, path: '/x' },
    bootstrap: { type: 'bootstrap', config: {} }, exec: { type: 'exec', config: {} }, spawned: { type: 'spawned', pid: 42 },
    toString: { type: 'toString' }, __proto__: { type: '__proto__' },
  };
  for (const [what, d, yes, no] of cases) {
    for (const type of yes) t.ok(accepts(d, good[type]), `${what}: ${type} accepted`);
    for (const type of no) t.notOk(accepts(d, good[type] ?? { type }), `${what}: ${type} refused`);
  }
});

t.test('a message with wrong fields is refused', async (t) => {
  const bad: [Decoder<{ type: string }>, object][] = [
    [new Decoder(INIT_TO_PARENT), { type: 'warn' }],
    [new Decoder(INIT_TO_PARENT), { type: 'debug', message: 3 }],
    [new Decoder(INIT_TO_PARENT), { type: 'error', message: 'no step' }],
    [new Decoder(INIT_TO_PARENT), { type: 'error', step: 's', message: 'm', errno: 'EPERM' }],
    [new Decoder(INIT_TO_PARENT), { type: 'error', step: 's', message: 'm', errno: 1.5 }],
    [new Decoder(INIT_TO_PARENT), { type: 'hooks', phases: 'prestart' }],
    [new Decoder(INIT_TO_PARENT), { type: 'hooks', phases: [1] }],
    [new Decoder(PARENT_TO_INIT), { type: 'bootstrap' }],
    [new Decoder(PARENT_TO_INIT), { type: 'bootstrap', config: [] }],
    [new Decoder(STAGE_TO_EXEC), { type: 'spawned', pid: 0 }],
    [new Decoder(STAGE_TO_EXEC), { type: 'spawned', pid: '42' }],
    [new Decoder(EXEC_TO_STAGE), { type: 'exec', config: null }],
  ];
  for (const [d, msg] of bad) t.throws(() => d.push(JSON.stringify(msg) + '\n'), /malformed message/, JSON.stringify(msg));
});

t.test('the init stage\'s SyncChannel: typed messages in, a wrong one refused', async (t) => {
  const [a, b] = socketPair();
  t.teardown(() => {
    fs.closeSync(b);
  });
  const ch = new SyncChannel<ParentToInit, InitToParent>(a, PARENT_TO_INIT);
  fs.writeSync(b, encode({ type: 'bootstrap', config: { id: 'c1' } }) + encode({ type: 'go' }));
  t.equal(ch.expect('bootstrap').config.id, 'c1');
  t.throws(() => ch.expect('hooks-done'), /expected hooks-done, got go/);
  fs.writeSync(b, encode({ type: 'ready' }));
  t.throws(() => ch.receive(), /malformed message/, 'a message of the other direction is refused');
  ch.send({ type: 'warn', message: 'w' });
  const got = Buffer.alloc(100);
  const n = fs.readSync(b, got, 0, 100, null);
  t.same(new Decoder(INIT_TO_PARENT).push(got.subarray(0, n).toString()), [{ type: 'warn', message: 'w' }]);
  ch.close();
});

/** A StageHandle over a socketpair, with a real (idle) child process as the stage. */
function handle<In extends InitAnswer | ExecAnswer>(accepts: Accepts<In | StageReport>) {
  const [a, b] = socketPair();
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  const h = new StageHandle<In, ParentToInit>(child, new net.Socket({ fd: a, readable: true, writable: true }), {
    who: 'test stage', failure: (e) => `test stage (${e.step}): ${e.message}`,
  }, accepts);
  return { h, write: (s: string) => fs.writeSync(b, s), done: async () => { await h.kill(); fs.closeSync(b); } };
}

t.test('StageHandle: warnings handed on, the answer returned typed, error{step} thrown as StageError', async (t) => {
  const { h, write, done } = handle<InitAnswer>(INIT_TO_PARENT);
  t.teardown(done);
  const warnings: string[] = [];
  write(encode({ type: 'warn', message: 'careful' }) + encode({ type: 'debug', message: 'd' }) + encode({ type: 'hooks', phases: ['prestart'] }));
  const m = await h.expect(['ready', 'hooks'], (w) => warnings.push(w));
  t.same(warnings, ['careful']);
  t.ok(m.type === 'hooks' && m.phases[0] === 'prestart');
  write(encode({ type: 'error', step: 'pivot_root', message: 'pivot_root: ENOENT', syscall: 'pivot_root', errno: 2 }));
  const err = await h.expect('ready', () => {}).catch((e: unknown) => e);
  t.ok(err instanceof StageError);
  t.match(err, { step: 'pivot_root', message: 'test stage (pivot_root): pivot_root: ENOENT', syscall: 'pivot_root', errno: 2 });
  write(encode({ type: 'go' }));
  t.match(await h.expect('ready', () => {}).catch((e: unknown) => e), { step: 'protocol', message: /malformed message/ }, 'a message the stage may not send');
  write(encode({ type: 'hello' }));
  t.match(await h.expect('ready', () => {}).catch((e: unknown) => e), { step: 'protocol', message: 'expected ready from the test stage, got hello' });
});

t.test('StageHandle for the exec stage: spawned{pid}, a ready refused', async (t) => {
  const { h, write, done } = handle<ExecAnswer>(STAGE_TO_EXEC);
  t.teardown(done);
  write(encode({ type: 'spawned', pid: 1234 }));
  const { pid } = await h.expect('spawned', () => {});
  t.equal(pid, 1234);
  write(encode({ type: 'ready' }));
  t.match(await h.expect('spawned', () => {}).catch((e: unknown) => e), { step: 'protocol', message: /malformed message/ });
});
