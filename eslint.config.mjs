// Lint (npm run lint, run by scripts/test.sh): a small rule set on purpose, each rule catching a
// kind of bug the compiler lets through here. Unused exports are scripts/unused-exports.mjs's job
// (no maintained ESLint rule checks them across files).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'bundles/**', 'node_modules/**', 'src/spec/generated/**', 'src/shim/gen/**', '.tap/**', 'bench/results/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Dead locals, parameters and imports ("_" marks one kept on purpose: a positional
      // parameter, a field split off with ...rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // A promise nobody awaits loses its rejection: in a runtime that is a failure reported as
      // success, or a crash after the verb has exited 0.
      // tap's t.test() returns a promise that tap itself tracks (it waits for every subtest).
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      // Type-only imports are erased by esbuild, so a bundle never loads a module only for its types.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
);
