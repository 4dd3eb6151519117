// The runtime-spec version tsrun implements, written out here and nowhere else
// (test/unit/spec-version.test.ts fails on a quoted copy anywhere in src/, scripts/ or test/).
// Used by `tsrun spec` (config.md "ociVersion" of a new config), `tsrun features`
// (features.md ociVersionMax), `tsrun --version`, the state hooks and the seccomp listener
// receive (runtime.md "State": "version of the ... Runtime Specification with which the state
// complies"), and validation. Kept free of imports: the CLI dispatcher (main.ts) loads it.

/** The runtime-spec release tsrun implements. */
export const SPEC_VERSION = '1.3.0';

/**
 * The oldest ociVersion tsrun accepts (features.md ociVersionMin; runc says "1.0.0" too): the 1.x
 * series is backwards compatible within its major (config.md "ociVersion" is SemVer), and
 * src/spec/checks.ts refuses other majors.
 */
export const SPEC_VERSION_MIN = '1.0.0';

/** The major version of SPEC_VERSION: configs of another major are refused. */
export const SPEC_MAJOR = SPEC_VERSION.split('.')[0];
