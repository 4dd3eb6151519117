// What the init stage writes on the exec fifo when `start` opens it. Before hooks there was one
// byte, '0' ("execve next"); startContainer hooks run in the init stage after the fifo opens and
// before execve (runtime.md Lifecycle 7), and `start` must fail when one fails, so the init stage
// may instead answer with a failure line:
//
//   '0'                  the hooks (if any) passed; the user program is exec'd next
//   'E' <message> '\n'   a startContainer hook failed; the init stage exits, the program never runs
//
// The failure line is written with one write(2) of at most PIPE_BUF bytes, so it arrives whole.
const STARTED = '0';
const FAILED = 'E';
/** PIPE_BUF (pipe(7)): writes up to this size are atomic on a pipe or fifo. */
const PIPE_BUF = 4096;

export function encodeStartFailure(message: string): Buffer {
  let msg = message.replace(/\n/g, ' ');
  // Keep the whole line within PIPE_BUF bytes (UTF-8 may take up to 4 bytes a character).
  while (Buffer.byteLength(msg) > PIPE_BUF - 2) msg = msg.slice(0, msg.length - 64);
  return Buffer.from(`${FAILED}${msg}\n`);
}

export type StartReply = { kind: 'started' } | { kind: 'failed'; message: string } | { kind: 'incomplete' } | { kind: 'garbage'; text: string };

/** Reads what arrived so far; `ended` says the writer is gone (no more will come). */
export function parseStartReply(text: string, ended: boolean): StartReply {
  if (text.length === 0) return { kind: 'incomplete' };
  if (text[0] === STARTED) return { kind: 'started' };
  if (text[0] === FAILED) {
    const nl = text.indexOf('\n');
    if (nl >= 0) return { kind: 'failed', message: text.slice(1, nl) };
    return ended ? { kind: 'failed', message: text.slice(1) } : { kind: 'incomplete' };
  }
  return { kind: 'garbage', text: text.slice(0, 100) };
}
