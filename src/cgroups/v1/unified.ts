// linux.resources.unified on a v1 or hybrid host: refused, as runc's fs driver does ("cannot use
// unified on cgroup v1"). On hybrid hosts the cgroup2 hierarchy carries no controllers, so its
// files cannot stand in for the v1 ones either. An empty map asks for nothing and passes.
import { UnsupportedError } from '../../errors';
import type { ResourceController } from '../controller';

export const unifiedV1: ResourceController = {
  hierarchy: 'unified',
  pointer: '/linux/resources/unified',
  applies: () => false,
  validate(r) {
    if (Object.values(r.unified ?? {}).every((v) => v === undefined || v === null)) return;
    throw new UnsupportedError(
      '/linux/resources/unified',
      'sets cgroup v2 files, which cannot be applied on a cgroup v1 host (hybrid hosts keep their controllers in v1); use the v1 fields of linux.resources',
    );
  },
  write() {
    /* nothing to write: validate() refuses every request */
  },
};
