// The rule tables of src/state/status.ts: for every status, which verbs it allows and the exact
// words of a refusal (runc's, which clients and conformance/cases match on).
import t, { type Test } from 'tap';
import {
  canDelete, canExec, canKill, canPause, canResume, canStart, canUpdate, canWatchEvents, type Status,
} from '../../src/state/status';
import { StateError } from '../../src/errors';

const STATUSES: Status[] = ['creating', 'created', 'running', 'paused', 'stopped'];

/** The message of the refusal, or 'ok'; a refusal must be a StateError with code bad-state. */
function verdict(t: Test, e: StateError | undefined): string {
  if (!e) return 'ok';
  t.type(e, StateError);
  t.equal(e.code, 'bad-state');
  return e.message;
}

function table(t: Test, rule: (s: Status) => StateError | undefined): Record<Status, string> {
  return Object.fromEntries(STATUSES.map((s) => [s, verdict(t, rule(s))])) as Record<Status, string>;
}

t.test('start: only a created container with a process', async (t) => {
  t.same(table(t, (s) => canStart(s, true)), {
    creating: 'cannot start a container in the creating state',
    created: 'ok',
    running: 'cannot start an already running container',
    paused: 'cannot start a container in the paused state',
    stopped: 'cannot start a container that has stopped',
  });
  t.equal(verdict(t, canStart('created', false)), 'cannot start a container without a process (config.json has no "process")');
  t.equal(verdict(t, canStart('stopped', false)), 'cannot start a container that has stopped', 'the status is refused first');
});

t.test('pause and resume', async (t) => {
  t.same(table(t, canPause), {
    creating: 'container not running', created: 'ok', running: 'ok', paused: 'container not running', stopped: 'container not running',
  });
  t.same(table(t, canResume), {
    creating: 'container not paused', created: 'container not paused', running: 'container not paused', paused: 'ok', stopped: 'container not paused',
  });
});

t.test('exec: paused only with --ignore-paused', async (t) => {
  const refusals = {
    creating: 'cannot exec in a container that is still being created',
    created: 'ok',
    running: 'ok',
    stopped: 'cannot exec in a stopped container',
  };
  t.same(table(t, (s) => canExec(s, false)), { ...refusals, paused: 'cannot exec in a paused container (use --ignore-paused to override)' });
  t.same(table(t, (s) => canExec(s, true)), { ...refusals, paused: 'ok' });
});

t.test('delete: stopped, or anything with --force', async (t) => {
  t.same(table(t, (s) => canDelete(s, false, 'c1')), {
    creating: 'cannot delete container c1 that is not stopped: creating',
    created: 'cannot delete container c1 that is not stopped: created',
    running: 'cannot delete container c1 that is not stopped: running',
    paused: 'cannot delete container c1 that is not stopped: paused',
    stopped: 'ok',
  });
  t.same(table(t, (s) => canDelete(s, true, 'c1')), { creating: 'ok', created: 'ok', running: 'ok', paused: 'ok', stopped: 'ok' });
});

t.test('kill and update: a live container', async (t) => {
  const live = { creating: 'container not running', created: 'ok', running: 'ok', paused: 'ok', stopped: 'container not running' };
  t.same(table(t, canKill), live);
  t.same(table(t, canUpdate), live);
});

t.test('events: anything but stopped', async (t) => {
  t.same(table(t, (s) => canWatchEvents(s, 'c1')), {
    creating: 'ok', created: 'ok', running: 'ok', paused: 'ok', stopped: 'container with id c1 is not running',
  });
});
