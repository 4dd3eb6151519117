// Polling with a bound, for states the clients reach asynchronously (a killed task becoming
// STOPPED). The bound only turns a hang into a failure; no test asserts how long anything took.
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms until it is true or `timeoutMs` passes; returns the last result. */
export async function waitFor(cond: () => boolean, timeoutMs = 15_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await delay(50);
  }
}
