// Small editors for config.json patches, so cases read like the rule they test.

/** Appends a mount entry (config.md "mounts": applied in array order). */
export function addMount(c, mount) {
  c.mounts = c.mounts ?? [];
  c.mounts.push(mount);
  return c;
}

/** A tmpfs at `destination` (writable scratch space on the read-only busybox rootfs). */
export function addTmpfs(c, destination, options = []) {
  return addMount(c, { destination, type: 'tmpfs', source: 'tmpfs', options });
}

/** A bind mount of a host path (absolute, or relative to the bundle). */
export function addBind(c, source, destination, options = ['bind']) {
  return addMount(c, { destination, type: 'bind', source, options });
}

export function removeNamespace(c, type) {
  c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== type);
  return c;
}

/** Adds (or replaces) a namespace entry; `path` joins an existing one. */
export function setNamespace(c, type, path) {
  removeNamespace(c, type);
  c.linux.namespaces.push(path === undefined ? { type } : { type, path });
  return c;
}

/** Deletes the value at a dotted path ("process.cwd"). */
export function unset(c, dotted) {
  const keys = dotted.split('.');
  const last = keys.pop();
  let o = c;
  for (const k of keys) o = o?.[k];
  if (o) delete o[last];
  return c;
}
