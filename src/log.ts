// Logging as runc does it (logrus): `--log FILE` sends log lines to FILE, otherwise to stderr;
// `--log-format json` writes {"level","msg","time"} objects, text writes
// `time="..." level=... msg="..."`. containerd's shim and conmon read the JSON lines to show the
// user the real reason a command failed.
import fs = require('node:fs');

export type LogFormat = 'text' | 'json';
type Level = 'debug' | 'info' | 'warning' | 'error';

interface LogConfig {
  file?: string;
  format: LogFormat;
  debug: boolean;
}

let config: LogConfig = { format: 'text', debug: false };
let fd: number | undefined;

export function configureLog(c: LogConfig): void {
  config = c;
  fd = undefined;
}

/** The log line for one message (exported for tests). */
export function formatLine(level: Level, msg: string, format: LogFormat, time = new Date()): string {
  const t = time.toISOString();
  if (format === 'json') return JSON.stringify({ level, msg, time: t }) + '\n';
  return `time="${t}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

function write(level: Level, msg: string): void {
  const line = formatLine(level, msg, config.format);
  try {
    if (config.file) {
      if (fd === undefined) fd = fs.openSync(config.file, 'a', 0o644);
      fs.writeSync(fd, line);
    } else {
      fs.writeSync(2, line);
    }
  } catch {
    // Logging must never turn into the failure itself.
  }
}

export const log = {
  debug(msg: string): void {
    if (config.debug) write('debug', msg);
  },
  info(msg: string): void {
    write('info', msg);
  },
  warn(msg: string): void {
    write('warning', msg);
  },
  /** Errors go to the log file when there is one; the CLI also prints one line to stderr. */
  error(msg: string): void {
    if (config.file) write('error', msg);
  },
  get toFile(): boolean {
    return config.file !== undefined;
  },
};
