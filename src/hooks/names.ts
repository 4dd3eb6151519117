// The hook phases of runtime-spec v1.3.0 (config.md "POSIX-platform Hooks"), in lifecycle order.
// Kept free of imports so `features` can list them without loading the hook runner.
export const ALL_PHASES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookPhase = (typeof ALL_PHASES)[number];
