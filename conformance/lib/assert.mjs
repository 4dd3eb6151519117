// Small assertions for conformance cases. Each throws a plain Error whose message becomes the
// "not ok <name>: <message>" line, so messages say what was expected and what was seen.

/** Short, one-line rendering of a value for messages. */
export function show(v) {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
}

export function fail(message) {
  throw new Error(message);
}

export function ok(cond, message) {
  if (!cond) fail(message);
}

export function eq(actual, expected, what = 'value') {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function ne(actual, unexpected, what = 'value') {
  if (JSON.stringify(actual) === JSON.stringify(unexpected)) fail(`${what}: must not be ${show(unexpected)}`);
}

export function match(text, re, what = 'output') {
  if (!re.test(text)) fail(`${what}: expected to match ${re}, got ${show(text)}`);
}

export function noMatch(text, re, what = 'output') {
  if (re.test(text)) fail(`${what}: expected not to match ${re}, got ${show(text)}`);
}

export function includes(text, part, what = 'output') {
  if (!String(text).includes(part)) fail(`${what}: expected to contain ${show(part)}, got ${show(text)}`);
}

/** A command result {status, stdout, stderr} that must have exited 0. */
export function succeeded(r, what = 'command') {
  if (r.status !== 0) {
    fail(`${what}: expected exit 0, got ${r.status ?? r.signal}; stderr ${show(r.stderr.trim())}; stdout ${show(r.stdout.trim())}`);
  }
}

/** A command result that must have failed (non-zero exit, not killed by a signal or timeout). */
export function failed(r, what = 'command') {
  if (r.status === 0) fail(`${what}: expected an error, but it exited 0; stdout ${show(r.stdout.trim())}`);
  if (r.status === null) fail(`${what}: expected an error exit, but it ended by ${r.signal ?? 'timeout'}`);
}
