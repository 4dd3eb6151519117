// Where the shim's ttrpc socket lives. containerd 1.6's shims name it after containerd's address,
// the namespace and the task id (runtime/v2/shim/util_unix.go SocketAddress):
//   unix:///run/containerd/s/<hex sha256 of filepath.Join(address, namespace, id)>
// under defaults.DefaultStateDir whatever containerd's configured state dir is, so the path stays
// short enough for sun_path (108 bytes) and one containerd's shims never collide with another's.
import crypto = require('node:crypto');
import path = require('node:path');

const SOCKET_DIR = '/run/containerd/s';

export function socketPath(containerdAddress: string, namespace: string, id: string): string {
  // Go's filepath.Join cleans the result, as path.join does.
  const digest = crypto.createHash('sha256').update(path.join(containerdAddress, namespace, id)).digest('hex');
  return path.join(SOCKET_DIR, digest);
}

export function socketAddress(sockPath: string): string {
  return `unix://${sockPath}`;
}

/** The path of a `unix://` address (the only kind this shim makes). */
export function pathOfAddress(address: string): string {
  return address.replace(/^unix:\/\//, '');
}
