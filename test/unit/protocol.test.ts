import t from 'tap';
import { Decoder, encode } from '../../src/launcher/protocol';

t.test('one message per line, split anywhere', async (t) => {
  const wire = encode({ type: 'hello' }) + encode({ type: 'warn', message: 'a\nb "quoted"' }) + encode({ type: 'ready' });
  for (let cut = 0; cut <= wire.length; cut++) {
    const d = new Decoder();
    const msgs = [...d.push(wire.slice(0, cut)), ...d.push(wire.slice(cut))];
    t.same(msgs.map((m) => m.type), ['hello', 'warn', 'ready'], `cut at ${cut}`);
    t.equal(d.pending, '');
  }
});

t.test('a newline inside a string value does not split a frame', async (t) => {
  const d = new Decoder();
  const [m] = d.push(encode({ type: 'error', step: 'mounts', message: 'line1\nline2' }));
  t.equal(m.type, 'error');
  t.equal((m as { message: string }).message, 'line1\nline2');
});

t.test('malformed frames are errors, partial ones wait', async (t) => {
  const d = new Decoder();
  t.same(d.push('{"type":"hel'), []);
  t.equal(d.pending, '{"type":"hel');
  t.throws(() => new Decoder().push('not json\n'));
  t.throws(() => new Decoder().push('{"no":"type"}\n'), /malformed message/);
  t.throws(() => new Decoder().push('[1,2]\n'), /malformed message/);
});
