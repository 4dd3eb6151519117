// When a process may have a terminal, and where its master goes: runc's rules for create, run and
// exec alike.
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
