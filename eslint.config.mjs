// The lint wall that keeps the layers honest (docs/architecture.md draws them):
//
//   domain/      pure rules: imports nothing of the other layers, no I/O, no Temporal
//   contracts/   shapes and ids shared by everybody: domain only
//   workflows/   deterministic: domain, contracts, @temporalio/workflow|common; activities by type only
//   activities/  the edges (PSA clients, store, mail, activity factories): never workflows, app, client, runtime, worker
//   app/         admin application service: activities, domain, contracts; never client, runtime, worker, workflows
//   runtime/     the composition root and the configuration: never the processes (client/http, client/cli, worker)
//   client/      platform client library, admin HTTP API, CLI: never the worker; the CLI talks to the API
//   sandbox/     the PSA and SMTP simulators import nothing of the product (a stand-in must not share the
//                code it stands in for); the launcher and the demo loader use the runtime like any process
//
// Everywhere: typescript-eslint's recommended rules, no floating promises.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioPackages = ['mongodb', 'nodemailer', 'smtp-server', 'mailparser', 'fastify', 'csv-stringify', 'csv-parse', 'commander'];
const layer = (...dirs) => dirs.flatMap((d) => [`**/${d}/**`, `**/${d}`]);

/** An import rule for one layer: the packages it may not use, the layers it may not reach. */
const wall = (files, { paths = [], layers = [], typeOnlyLayers = [], message }) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      paths,
      patterns: [
        ...(layers.length ? [{ group: layers.flatMap((l) => layer(l)), message }] : []),
        ...(typeOnlyLayers.length ? [{ group: typeOnlyLayers.flatMap((l) => layer(l)), allowTypeImports: true, message: `${message} (types only)` }] : []),
      ],
    }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', '.cache/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.d.ts'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read arbitrary JSON answers.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  wall(['domain/**/*.ts'], {
    paths: [...nodeBuiltins, ...ioPackages],
    layers: ['contracts', 'workflows', 'activities', 'app', 'runtime', 'worker', 'client', 'sandbox', 'test'],
    message: 'domain/ is pure: it imports nothing of the other layers',
  }),
  {
    files: ['domain/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', { selector: "ImportDeclaration[source.value=/^@temporalio\\//]", message: 'domain/ is pure: no Temporal imports' }] },
  },
  wall(['contracts/**/*.ts'], {
    paths: [...nodeBuiltins, ...ioPackages, '@temporalio/workflow', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
    layers: ['workflows', 'activities', 'app', 'runtime', 'worker', 'client', 'sandbox', 'test'],
    message: 'contracts/ holds shapes shared by every layer: it imports the domain only',
  }),
  wall(['workflows/**/*.ts'], {
    paths: [...nodeBuiltins, ...ioPackages, '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
    layers: ['app', 'runtime', 'worker', 'client', 'sandbox', 'test'],
    typeOnlyLayers: ['activities'],
    message: 'workflows/ are deterministic: domain, contracts and activity types only',
  }),
  wall(['activities/**/*.ts'], {
    layers: ['workflows', 'app', 'runtime', 'worker', 'client', 'sandbox', 'test'],
    message: 'activities/ are the edges: they never reach back into workflows, the admin app, the processes or the sandboxes',
  }),
  wall(['app/**/*.ts'], {
    layers: ['workflows', 'runtime', 'worker', 'client', 'sandbox', 'test'],
    message: 'app/ is the admin application service: activities, domain and contracts only',
  }),
  wall(['runtime/**/*.ts'], {
    paths: ['fastify', 'commander'],
    layers: ['worker', 'sandbox', 'test', 'client/http', 'client/cli'],
    message: 'runtime/ composes the layers; the processes build on it, not the other way round',
  }),
  wall(['client/**/*.ts'], {
    layers: ['worker', 'sandbox', 'test'],
    message: 'client/ never reaches into the worker, the sandboxes or the tests',
  }),
  wall(['client/cli/**/*.ts'], {
    layers: ['worker', 'sandbox', 'test', 'app', 'workflows', 'client/http', 'activities/psa', 'activities/sync', 'activities/reconciliation', 'activities/notifications', 'activities/seat-count'],
    typeOnlyLayers: [],
    message: 'the CLI talks to the admin API (only `tokens`, run by the operator, opens the database through the runtime)',
  }),
  wall(['sandbox/connectwise/**/*.ts', 'sandbox/autotask/**/*.ts', 'sandbox/shared/**/*.ts', 'sandbox/smtp-sink/**/*.ts'], {
    layers: ['contracts', 'workflows', 'activities', 'app', 'runtime', 'worker', 'client', 'test', 'sandbox/stack', 'sandbox/demo'],
    message: 'a simulator shares no code with what it stands in for (only the calendar/decimal helpers of domain/dates and domain/money)',
  }),
  {
    files: ['sandbox/connectwise/**/*.ts', 'sandbox/autotask/**/*.ts', 'sandbox/shared/**/*.ts', 'sandbox/smtp-sink/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "ImportDeclaration[source.value=/\\/domain\\/(?!dates$|money$)/]",
        message: 'a simulator may use domain/dates and domain/money (calendar and decimal arithmetic) and nothing else of the product',
      }],
    },
  },
);
