// Is a namespace file (/proc/<pid>/ns/<type>, or a bind of one) the namespace this process is in?
// Two nsfs files name the same namespace when device and inode match (namespaces(7)). Throws
// when the file cannot be stat'ed; the callers decide what that means.
import fs = require('node:fs');

export function isRuntimeNamespace(nsPath: string, type: string): boolean {
  const a = fs.statSync(nsPath);
  const b = fs.statSync(`/proc/self/ns/${type}`);
  return a.dev === b.dev && a.ino === b.ino;
}
