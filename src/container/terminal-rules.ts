// When a process may have a terminal, and where its master goes: runc's rules for create, run and
// exec alike.
import fs = require('node:fs');
import { UsageError } from '../errors';

/**
 * runc's checkTerminal (utils_linux.go), same rules and words: a terminal of a runtime that does
 * not stay needs somewhere to send the master; a console socket is only for that case.
 */
export function checkTerminal(terminal: boolean, detach: boolean, consoleSocket: string | undefined): void {
  if (detach && terminal && consoleSocket === undefined) {
    throw new UsageError('cannot allocate tty if runc will detach without setting console socket');
  }
  if ((!detach || !terminal) && consoleSocket !== undefined) {
    throw new UsageError('cannot use console socket if runc will not detach or allocate tty');
  }
}

/**
 * A relayed terminal (foreground run or exec with process.terminal and no console socket) needs
 * one of our own: without it nothing could ever answer the container's shell, and tsrun would wait
 * forever. runc fails the same way at once (console.Current() opens /dev/tty).
 */
export function requireOwnTerminal(): void {
  try {
    fs.closeSync(fs.openSync('/dev/tty', 'r+'));
  } catch (e) {
    throw new UsageError(`process.terminal needs a terminal to relay to, and tsrun has none (open /dev/tty: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); use --console-socket, or set process.terminal to false`);
  }
}
