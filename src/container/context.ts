// What every verb needs: the global options (state root, logging) shared by the CLI.
import type { EarlyInit } from '../launcher/parent/early-plan';

export interface GlobalOptions {
  root: string;
  /**
   * create/run: an init stage, exec: an exec stage, that the dispatcher spawned before the verb
   * bundle loaded (src/launcher/parent/early-stage.ts); launchInit or runExecStage adopts it if it fits,
   * the dispatcher kills it otherwise.
   */
  early?: EarlyInit;
}
