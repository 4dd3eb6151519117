// Tests for src/sys/signals.ts: signal tables and `kill` argument parsing.
import t from 'tap';
import { constants } from 'node:os';
import { UsageError } from '../../src/errors';
import { NSIG, SIGNALS, SIGNAL_ALIASES, SIGRTMAX, SIGRTMIN, parseSignal, signalName } from '../../src/sys/signals';

t.test('standard signals match the numbers Node was built with', async (t) => {
  t.equal(Object.keys(SIGNALS).length, 31);
  const host = constants.signals as Record<string, number>;
  for (const [name, num] of Object.entries(SIGNALS)) t.equal(host[name], num, name);
  // Node lists SIGIOT and SIGPOLL but not SIGCLD (glibc's name for SIGCHLD).
  t.equal(SIGNAL_ALIASES.SIGIOT, host.SIGIOT);
  t.equal(SIGNAL_ALIASES.SIGPOLL, host.SIGPOLL);
  t.equal(SIGNAL_ALIASES.SIGCLD, SIGNALS.SIGCHLD);
  t.equal(SIGNALS.SIGKILL, 9);
  t.equal(SIGNALS.SIGTERM, 15);
  t.equal(SIGNALS.SIGCHLD, 17);
  t.equal(SIGNALS.SIGSYS, 31);
  t.equal(SIGRTMIN, 34);
  t.equal(SIGRTMAX, 64);
  t.equal(NSIG, 65);
});

t.test('parseSignal accepts runc forms', async (t) => {
  for (const s of ['TERM', 'SIGTERM', 'sigterm', 'term', 'SigTerm', '15', '015']) t.equal(parseSignal(s), 15, s);
  t.equal(parseSignal('KILL'), 9);
  t.equal(parseSignal('9'), 9);
  t.equal(parseSignal('0'), 0, '0 probes without signalling');
  t.equal(parseSignal('64'), 64);
  t.equal(parseSignal('SIGWINCH'), 28);
  t.equal(parseSignal('IOT'), 6, 'alias');
  t.equal(parseSignal('SIGPOLL'), 29, 'alias');
  t.equal(parseSignal('cld'), 17, 'alias');
});

t.test('parseSignal accepts real-time names', async (t) => {
  t.equal(parseSignal('RTMIN'), 34);
  t.equal(parseSignal('SIGRTMIN'), 34);
  t.equal(parseSignal('RTMIN+3'), 37);
  t.equal(parseSignal('sigrtmin+30'), 64);
  t.equal(parseSignal('RTMAX'), 64);
  t.equal(parseSignal('RTMAX-1'), 63);
  t.equal(parseSignal('RTMAX-30'), 34);
});

t.test('parseSignal rejects anything else with runc wording', async (t) => {
  const bad = ['', 'SIG', 'FOO', 'SIGFOO', 'SIGSIGTERM', '65', '100', '-15', '+15', '1.5', ' 15', 'TERM ',
    'RTMIN+31', 'RTMAX-31', 'RTMIN-1', 'RTMAX+1', 'RTMIN+', 'RTMIN+100', 'PROTO__', '__proto__', 'toString'];
  for (const s of bad) {
    t.throws(() => parseSignal(s), UsageError, JSON.stringify(s));
    t.throws(() => parseSignal(s), { message: `unknown signal ${JSON.stringify(s)}` });
  }
  try {
    parseSignal('SIGFOO');
    t.fail('should throw');
  } catch (err) {
    t.equal((err as UsageError).code, 'usage');
    t.equal((err as Error).message, 'unknown signal "SIGFOO"');
  }
});

t.test('signalName is canonical and parseSignal reads it back', async (t) => {
  t.equal(signalName(15), 'SIGTERM');
  t.equal(signalName(6), 'SIGABRT', 'primary name, not the alias');
  t.equal(signalName(34), 'SIGRTMIN');
  t.equal(signalName(37), 'SIGRTMIN+3');
  t.equal(signalName(63), 'SIGRTMAX-1');
  t.equal(signalName(64), 'SIGRTMAX');
  for (const n of [0, 32, 33, 65, -1, 1.5]) t.equal(signalName(n), undefined, String(n));
  for (let n = 1; n < NSIG; n++) {
    const name = signalName(n);
    if (n === 32 || n === 33) continue; // glibc-internal, nameless
    t.equal(parseSignal(name as string), n, `${name} -> ${n}`);
  }
});
