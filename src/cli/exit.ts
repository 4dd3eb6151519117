// Leaving without Node's teardown. When a short command is done, Node would still run the event
// loop's last turn, emit 'beforeExit' and 'exit', free the environment and tear V8 down: about
// 6 ms of CPU for nothing, since the kernel frees the process anyway. process.reallyExit is what
// process.exit calls after its 'exit' event: it stops the platform's threads and calls exit(3).
//
// Only safe when nothing is left in flight, which is why main.ts uses it for the verbs listed
// there: their output went through output.ts (fs.writeSync, written when the call returns), log
// lines through log.ts (fs.writeSync to an fd the kernel closes), and every child they started
// (hooks, ps) was waited for by spawnSync.
export function exitNow(code: number): never {
  (process as unknown as { reallyExit(code: number): never }).reallyExit(code);
  // not reached; for the type checker and in case reallyExit ever returns
  process.exit(code);
}
