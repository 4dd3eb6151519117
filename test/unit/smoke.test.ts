import t from 'tap';
import { errnoName, SyscallError } from '../../src/errors';
t.test('errno names', async (t) => {
  t.equal(errnoName(2), 'ENOENT');
  t.match(new SyscallError('mount', 1, '/x').message, /mount \/x: EPERM/);
});
