// The lint wall that keeps the layers honest (as in Temporal's samples):
// - workflows/: deterministic code only — no Node built-ins, drivers, HTTP or mail;
// - domain/: pure rules — imports nothing from the other layers, nor any I/O or Temporal package;
// - everywhere: no floating promises.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioPackages = ['mongodb', 'nodemailer', 'smtp-server', 'mailparser', 'fastify', 'csv-stringify', 'commander'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', '.cache/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins, ...ioPackages, '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
        patterns: [{ group: ['**/activities/**', '**/activities', '**/worker/**', '**/client/**', '**/sandbox/**'], allowTypeImports: true,
          message: 'workflows import activities by type only, and never the worker, client or sandboxes' }],
      }],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins, ...ioPackages],
        patterns: [
          { group: ['@temporalio/*'], message: 'domain/ is pure: no Temporal imports' },
          { group: ['**/workflows/**', '**/activities/**', '**/worker/**', '**/client/**', '**/sandbox/**', '**/test/**'],
            message: 'domain/ imports nothing of the other layers' },
        ],
      }],
    },
  },
);
