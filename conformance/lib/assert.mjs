// Small assertions for conformance cases. Each throws a plain Error whose message becomes the
// "not ok <name>: <message>" line, so messages say what was expected and what was seen.

/**
 * A command's result, as lib/proc.mjs returns it: `status` null when a signal or the timeout
 * ended it.
 * @typedef {{ status: number | null, signal?: string | null, stdout: string, stderr: string }} CommandResult
 */

/**
 * Short, one-line rendering of a value for messages.
 * @param {unknown} v
 * @returns {string}
 */
export function show(v) {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
}

/**
 * @param {string} message
 * @returns {never}
 */
export function fail(message) {
  throw new Error(message);
}

/**
 * @param {unknown} cond
 * @param {string} message
 * @returns {asserts cond}
 */
export function ok(cond, message) {
  if (!cond) fail(message);
}

/**
 * @param {unknown} actual
 * @param {unknown} expected
 * @param {string} [what]
 */
export function eq(actual, expected, what = 'value') {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/**
 * @param {unknown} actual
 * @param {unknown} unexpected
 * @param {string} [what]
 */
export function ne(actual, unexpected, what = 'value') {
  if (JSON.stringify(actual) === JSON.stringify(unexpected)) fail(`${what}: must not be ${show(unexpected)}`);
}

/**
 * @param {string} text
 * @param {RegExp} re
 * @param {string} [what]
 */
export function match(text, re, what = 'output') {
  if (!re.test(text)) fail(`${what}: expected to match ${re}, got ${show(text)}`);
}

/**
 * @param {string} text
 * @param {RegExp} re
 * @param {string} [what]
 */
export function noMatch(text, re, what = 'output') {
  if (re.test(text)) fail(`${what}: expected not to match ${re}, got ${show(text)}`);
}

/**
 * @param {unknown} text
 * @param {string} part
 * @param {string} [what]
 */
export function includes(text, part, what = 'output') {
  if (!String(text).includes(part)) fail(`${what}: expected to contain ${show(part)}, got ${show(text)}`);
}

/**
 * A command result {status, stdout, stderr} that must have exited 0.
 * @param {CommandResult} r
 * @param {string} [what]
 */
export function succeeded(r, what = 'command') {
  if (r.status !== 0) {
    fail(`${what}: expected exit 0, got ${r.status ?? r.signal}; stderr ${show(r.stderr.trim())}; stdout ${show(r.stdout.trim())}`);
  }
}

/**
 * A command result that must have failed (non-zero exit, not killed by a signal or timeout).
 * @param {CommandResult} r
 * @param {string} [what]
 */
export function failed(r, what = 'command') {
  if (r.status === 0) fail(`${what}: expected an error, but it exited 0; stdout ${show(r.stdout.trim())}`);
  if (r.status === null) fail(`${what}: expected an error exit, but it ended by ${r.signal ?? 'timeout'}`);
}
