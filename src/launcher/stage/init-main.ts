// Entry of the init stage: `node dist/init.js <channel-fd>`, spawned by the parent inside the
// container's namespaces (ns-window.ts). It builds the container step by step as the parent's
// bootstrap message says, reports `ready`, waits for `go`, then blocks on the exec fifo until
// `tsrun start` and execs the user program, which keeps this pid: PID 1 of the container.
import * as libc from '../../sys/libc';
import { libcSys } from '../../sys/libc-sys';
import { PR_SET_DUMPABLE } from '../../sys/constants';
import { SyncChannel, ChannelClosed } from './sync-channel';
import { PARENT_TO_INIT, type InitToParent, type ParentToInit } from '../protocol';
import { buildContainer } from './init-steps';
import { errorMessage } from './stage-errors';
import { finalExec } from './final-exec';
import { runCreateHooks, runStartContainerHooks } from '../../hooks/in-container';
import type { InitConfig } from '../../stage-config/init-config';
import { setTraceSink, trace } from '../../trace';
import { reached, setStepRole } from '../../step-hook';

function main(): void {
  setStepRole('init');
  const fd = Number(process.argv[2]);
  if (!Number.isInteger(fd) || fd < 3) {
    process.stderr.write('tsrun init: this program is started by tsrun create, not by hand\n');
    process.exit(2);
  }
  const ch = new SyncChannel<ParentToInit, InitToParent>(fd, PARENT_TO_INIT);
  // Under --debug the trace lines go to the parent's log as debug messages (trace.ts).
  setTraceSink((message) => ch.send({ type: 'debug', message }));
  let prepared;
  let cfg: InitConfig | undefined;
  try {
    // hello goes first (fs.writeSync, no syscall through koffi): the parent's cgroup join and
    // limits then overlap this stage's load of koffi, which the prctl below pays (issue 11).
    ch.send({ type: 'hello' });
    trace('hello sent');
    // Non-dumpable before anything else, so nothing that later joins the container can ptrace us
    // or reach the host's node binary through /proc/<pid>/exe (CVE-2019-5736, docs/ARCHITECTURE.md
    // section 1). Nothing can join it yet: the container's namespaces hold only this process.
    libc.prctl(PR_SET_DUMPABLE, 0);
    const boot = ch.expect('bootstrap');
    trace('bootstrap received (the parent has placed this stage in its cgroup)');
    cfg = boot.config;
    const hooks = cfg.hooks;
    prepared = buildContainer(libcSys, boot.config, (message) => ch.send({ type: 'warn', message }), (message) => ch.send({ type: 'debug', message }), () =>
      {
        trace('mounts done');
        runCreateHooks(hooks, () => {
          ch.send({ type: 'hooks', phases: ['prestart', 'createRuntime'] });
          ch.expect('hooks-done');
        });
      });
    trace('container built (pivot_root, paths, identity), ready sent');
    reached('ready');
    ch.send({ type: 'ready' });
    ch.expect('go');
    reached('go');
    trace('go received, exec follows');
    ch.close();
  } catch (e) {
    if (!(e instanceof ChannelClosed)) {
      try {
        ch.send(errorMessage('init', e));
      } catch {
        // the parent is gone; nothing left to tell
      }
    }
    process.exit(1);
  }
  // Past `go` there is nobody to report to over the channel; final-exec writes its last words to
  // stderr of the container (the way runc's init does when exec fails after start).
  finalExec(libcSys, prepared, (fifo) => runStartContainerHooks(cfg?.hooks, fifo));
}

main();
