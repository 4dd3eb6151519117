// src/launcher/parent/early-exec-plan.ts: which `exec` command lines and containers get their exec
// stage spawned by the dispatcher ahead of the exec bundle.
import t from 'tap';
import { earlyExecId, earlyExecPlan, type PlanReader } from '../../src/launcher/parent/early-exec-plan';

t.test('command lines: the plain ones give their container id', async (t) => {
  t.equal(earlyExecId(['c1', 'true']), 'c1');
  t.equal(earlyExecId(['c1', 'sh', '-c', '--preserve-fds', '-t']), 'c1', 'what follows the id is the command, flags or not');
  t.equal(earlyExecId(['-e', 'A=1', '--env=B=2', '--cwd', '/tmp', '-u', '0:0', '-g', '5', '-c', 'CAP_KILL', 'c1', 'x']), 'c1');
  t.equal(earlyExecId(['--pid-file', '/p', '-d', '--detach', '--no-new-privs', '--ignore-paused', '--apparmor', 'a', '--process-label', 'l', 'c1', 'x']), 'c1');
});

t.test('command lines left to the verb', async (t) => {
  for (const [argv, why] of [
    [['-t', 'c1', 'sh'], 'a terminal'],
    [['--tty', 'c1', 'sh'], 'a terminal, long form'],
    [['--console-socket', '/s', 'c1', 'sh'], 'a console socket'],
    [['--preserve-fds', '1', 'c1', 'sh'], 'extra fds'],
    [['--preserve-fds=0', 'c1', 'sh'], '--preserve-fds in any form'],
    [['-p', '/proc.json', 'c1'], 'a process.json'],
    [['-dt', 'c1', 'sh'], 'combined short flags'],
    [['--help'], 'help'],
    [['c1'], 'no command'],
    [['--cwd'], 'a flag without its value'],
    [['--', 'c1', 'sh'], 'the end-of-flags marker'],
    [['../x', 'sh'], 'an id that is not one'],
    [['..', 'sh'], 'dot-dot'],
    [[], 'nothing'],
  ] as [string[], string][]) {
    t.equal(earlyExecId(argv), undefined, why);
  }
});

function reader(files: Record<string, string>, links: Record<string, string>): PlanReader {
  return { readText: (f) => files[f], readLink: (f) => links[f] };
}

const OURS = { '/proc/self/ns/user': 'user:[1]', '/proc/self/ns/time': 'time:[2]', '/proc/42/ns/user': 'user:[1]', '/proc/42/ns/time': 'time:[2]' };

t.test('containers: one whose user and time namespaces are ours, without execCPUAffinity', async (t) => {
  const state = (rec: unknown): Record<string, string> => ({ '/r/c1/state.json': JSON.stringify(rec) });
  t.ok(earlyExecPlan(['c1', 'true'], '/r', reader(state({ pid: 42, config: { process: { args: ['sleep'] } } }), OURS)), 'plain');
  t.notOk(earlyExecPlan(['c1', 'true'], '/r', reader({}, OURS)), 'no state.json');
  t.notOk(earlyExecPlan(['c1', 'true'], '/r', reader({ '/r/c1/state.json': '{not json' }, OURS)), 'unparsable');
  t.notOk(earlyExecPlan(['c1', 'true'], '/r', reader(state({ pid: 0 }), OURS)), 'no init process');
  t.notOk(earlyExecPlan(['c1', 'true'], '/r', reader(state({ pid: '42' }), OURS)), 'a pid that is not a number');
  t.notOk(earlyExecPlan(['c1', 'true'], '/r', reader(state({ pid: 42, config: { process: { execCPUAffinity: { initial: '0' } } } }), OURS)), 'execCPUAffinity: inherited at the spawn');
  t.notOk(earlyExecPlan(['c1', 'true'], '/r', reader(state({ pid: 42 }), { ...OURS, '/proc/42/ns/user': 'user:[9]' })), 'its own user namespace: the trampoline');
  t.notOk(earlyExecPlan(['c1', 'true'], '/r', reader(state({ pid: 42 }), { ...OURS, '/proc/42/ns/time': 'time:[9]' })), 'its own time namespace: the trampoline');
  t.notOk(earlyExecPlan(['-t', 'c1', 'true'], '/r', reader(state({ pid: 42 }), OURS)), 'a command line left to the verb');
});
