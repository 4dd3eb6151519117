// Entry of the init and exec stages: built twice, as dist/init.js and dist/exec.js (the files
// src/launcher spawns), each of which loads the stage's bundle of the same name from dist/stages/
// through its V8 code cache (code-cache.ts). Read only: a stage never writes a cache. The init
// stage runs from host paths that vanish at its pivot_root, and the exec stage runs in a mount
// namespace where tsrun must leave nothing behind; a missing or stale cache only costs time.
import path = require('node:path');
import { loadBundle } from './code-cache';
import { trace } from '../trace';

trace('node started, stage entry running');
loadBundle(path.join(__dirname, 'stages', path.basename(__filename)), { write: false });
