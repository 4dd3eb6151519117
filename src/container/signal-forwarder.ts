// Foreground `run` and `exec` pass the signals tsrun gets on to the container's process, as runc's
// signal handler does (signals.go). Listening from the start also means Node never applies a
// signal's default action, so a SIGTERM that lands before the process exists cannot kill tsrun and
// orphan it. While tsrun relays a terminal, SIGWINCH is the pty's business: the relay resizes the
// pty and the kernel signals the foreground process group (runc does not forward it then either).
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU',
];

export class SignalForwarder {
  private deliver?: (sig: NodeJS.Signals) => void;
  private relaying = false;
  private readonly pending: NodeJS.Signals[] = [];
  private readonly listener = (sig: NodeJS.Signals): void => this.forward(sig);

  /** `hold`: keep signals that come before there is a target, and deliver them to it (exec). */
  constructor(private readonly hold: boolean) {
    for (const s of FORWARDED_SIGNALS) process.on(s, this.listener);
  }

  /** From now on signals go to `deliver` (held ones first); `relaying`: tsrun relays a terminal. */
  setTarget(deliver: (sig: NodeJS.Signals) => void, relaying: boolean): void {
    this.deliver = deliver;
    this.relaying = relaying;
    for (const s of this.pending.splice(0)) this.forward(s);
  }

  clearTarget(): void {
    this.deliver = undefined;
  }

  stop(): void {
    for (const s of FORWARDED_SIGNALS) process.removeListener(s, this.listener);
  }

  private forward(sig: NodeJS.Signals): void {
    if (sig === 'SIGWINCH' && this.relaying) return;
    if (!this.deliver) {
      if (this.hold) this.pending.push(sig);
      return;
    }
    try {
      this.deliver(sig);
    } catch {
      // the process is gone; its exit status is on the way
    }
  }
}
