// What every verb needs: the global options (state root, logging) shared by the CLI.
export interface GlobalOptions {
  root: string;
}
