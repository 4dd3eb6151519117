// Per-phase timings, so users and later work can see where a command's time goes (issue 11).
//
// TSRUN_TRACE=1 prints one line per phase on stderr; `--debug` (runc's flag: log level debug)
// turns the same lines into debug log lines, through --log and --log-format like any other. Each
// line gives the milliseconds since this process started (performance.now() counts from Node's
// time origin, set as the process starts) and, in the init and exec stages, also since the tsrun
// command that spawned them started:
//
//   tsrun trace [tsrun 4711] +61.2 ms: compiled dist/verbs/create.js (cache used)
//   tsrun trace [init 4712] +48.0 ms (@112.4 ms): hello sent
//
// The stages get an empty environment (launcher/parent/parent.ts, exec-stage.ts); stageTraceEnv() puts
// the switch and the command's time origin there. With TSRUN_TRACE a stage writes to its own fd
// 2, which is the caller's stderr (or /dev/null when the container has a terminal). With --debug
// it sends its lines over the channel as `debug` messages (setTraceSink), because its fd 2 is the
// container's stderr and it cannot reach a --log file after pivot_root; lines after `go`, when
// the channel is closed, are dropped.
//
// Off costs one boolean test per trace point. In the CLI, --debug is known only once the global
// flags are parsed, so until configureTrace() the few earlier points are kept as (time, label)
// pairs and printed or dropped then.
//
// The state is shared through globalThis because this module is bundled into several bundles of
// one process (the dispatcher and a verb bundle; a stage's entry and the stage), each with its own
// copy of the module.
import fs = require('node:fs');

interface TraceState {
  /** undefined: not decided yet (the CLI before its flags are parsed); points are kept. */
  on: boolean | undefined;
  /** Where lines go; undefined while on but without a place yet (a stage before its channel). */
  sink?: (line: string) => void;
  /** Whether the sink is stderr (TSRUN_TRACE) rather than the debug log. */
  stderr: boolean;
  pending: [number, string][];
  /** This process in the lines: `tsrun <pid>`, `init <pid>`, `exec stage <pid>`. */
  who: string;
  /** The time origin (epoch ms) of the tsrun command that spawned this stage. */
  commandOrigin?: number;
}

const KEY = Symbol.for('tsrun.trace');
/** Bounds what an undecided process keeps (a stage without the switch never decides). */
const MAX_PENDING = 64;

/** Whether a TSRUN_TRACE value turns tracing on: anything but unset, empty and `0`. */
export function traceEnvOn(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0';
}

/** The process's label in trace lines, from its entry file (argv[1]). */
export function traceWho(entry: string, pid = process.pid): string {
  if (/[/\\]init\.js$/.test(entry)) return `init ${pid}`;
  if (/[/\\]exec\.js$/.test(entry)) return `exec stage ${pid}`;
  return `tsrun ${pid}`;
}

/** One trace line (without `tsrun trace ` and the newline for the debug log). */
export function formatTrace(who: string, ms: number, phase: string, commandOrigin?: number, timeOrigin = performance.timeOrigin): string {
  const since = commandOrigin === undefined ? '' : ` (@${(timeOrigin + ms - commandOrigin).toFixed(1)} ms)`;
  return `trace [${who}] +${ms.toFixed(1)} ms${since}: ${phase}`;
}

function writeStderr(line: string): void {
  fs.writeSync(2, `tsrun ${line}\n`);
}

function initialState(): TraceState {
  const env = process.env.TSRUN_TRACE;
  const origin = Number(process.env.TSRUN_TRACE_ORIGIN);
  const s: TraceState = {
    on: undefined,
    stderr: false,
    pending: [],
    who: traceWho(process.argv[1] ?? ''),
    commandOrigin: origin > 0 ? origin : undefined,
  };
  // `debug`: a stage of a command run with --debug; its lines wait for setTraceSink.
  if (env === 'debug') s.on = true;
  else if (traceEnvOn(env)) Object.assign(s, { on: true, stderr: true, sink: writeStderr });
  // A stage gets the switch from its command (stageTraceEnv) or not at all: without it, off now.
  else if (!s.who.startsWith('tsrun ')) s.on = false;
  return s;
}

const g = globalThis as Record<symbol, TraceState | undefined>;
const state: TraceState = g[KEY] ?? (g[KEY] = initialState());

/**
 * A monotonic clock in ms that costs nothing to start: process.hrtime. Not performance.now(): the
 * first touch of `performance` loads Node's perf_hooks internals, 1.5-2 ms of every command and
 * stage whether tracing is on or not (measured). Both read CLOCK_MONOTONIC through libuv, so they
 * differ by a constant, taken once a line is actually printed.
 */
function clockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

let toProcessMs: number | undefined;

function emit(clock: number, phase: string): void {
  try {
    // ms since this process started, as performance.now() counts them (trace lines say "+X ms").
    toProcessMs ??= performance.now() - clockMs();
    state.sink?.(formatTrace(state.who, clock + toProcessMs, phase, state.commandOrigin));
  } catch {
    // tracing never fails a command (a closed channel, a full pipe)
  }
}

/** Records the end of `phase` if tracing is on (or not decided yet). */
export function trace(phase: string): void {
  if (state.on === false) return;
  const at = clockMs();
  if (state.sink) emit(at, phase);
  else if (state.pending.length < MAX_PENDING) state.pending.push([at, phase]);
}

/** Whether trace points may print: on, or not decided yet. For callers that measure extra. */
export function traceOn(): boolean {
  return state.on !== false;
}

function flush(): void {
  for (const [ms, phase] of state.pending.splice(0)) emit(ms, phase);
}

/**
 * The CLI, once its global flags are parsed: TSRUN_TRACE wins (stderr); otherwise `debug`
 * (--debug) sends the lines to `debugLog`, and without either tracing is off from here on.
 */
export function configureTrace(debug: boolean, debugLog: (msg: string) => void): void {
  if (state.stderr) return;
  if (debug) {
    state.on = true;
    state.sink = debugLog;
    flush();
  } else {
    state.on = false;
    state.pending = [];
  }
}

/** A stage: where its lines go under --debug (its channel); off when the switch is absent. */
export function setTraceSink(sink: (line: string) => void): void {
  if (state.stderr) return;
  if (state.on !== true) {
    state.on = false;
    state.pending = [];
    return;
  }
  state.sink = sink;
  flush();
}

/** The environment of a stage: empty, or the trace switch and this command's time origin. */
export function stageTraceEnv(): Record<string, string> {
  if (state.on !== true) return {};
  return { TSRUN_TRACE: state.stderr ? '1' : 'debug', TSRUN_TRACE_ORIGIN: String(state.commandOrigin ?? performance.timeOrigin) };
}

/** For tests: forget the decision, as in a fresh process. */
export function resetTraceForTest(env: string | undefined, entry = process.argv[1] ?? ''): void {
  const prev = process.env.TSRUN_TRACE;
  if (env === undefined) delete process.env.TSRUN_TRACE;
  else process.env.TSRUN_TRACE = env;
  const fresh = initialState();
  if (prev === undefined) delete process.env.TSRUN_TRACE;
  else process.env.TSRUN_TRACE = prev;
  fresh.who = traceWho(entry);
  Object.assign(state, { sink: undefined, commandOrigin: undefined }, fresh);
}
