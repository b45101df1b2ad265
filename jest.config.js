/**
 * Four test levels (docs/architecture.md "Tests"), each a jest project; `npm test` runs them all.
 *   unit         the domain and pure helpers: no server, seconds          (npm run test:unit)
 *   workflow     workflows on the time-skipping server with mocked activities: no database, no wall clock
 *   contract     PSA clients and gateways against the sandboxes, vendor schemas, third-party clients
 *   integration  the real stack: Temporal dev server, FerretDB, SMTP sink, sandboxes, worker, API, CLI
 * Jest runs TypeScript through SWC (type checking is `npm run typecheck`'s job). One process
 * (`maxWorkers: 1`): the integration servers are shared, and each Temporal worker brings its own
 * Rust runtime.
 */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  modulePathIgnorePatterns: ['<rootDir>/.tools', '<rootDir>/.data', '<rootDir>/dist'],
};
const temporal = { setupFiles: ['<rootDir>/test/setup/temporal-runtime.ts'] };

const unit = [
  '<rootDir>/test/domain/**/*.test.ts',
  '<rootDir>/test/store/line-keys.test.ts',
  '<rootDir>/test/store/secrets.test.ts',
  '<rootDir>/test/worker/config.test.ts',
  '<rootDir>/test/worker/startup-retry.test.ts',
  '<rootDir>/test/worker/worker-logger.test.ts',
  '<rootDir>/test/sandbox/autotask-rules.test.ts',
  '<rootDir>/test/cli/plan.test.ts',
  '<rootDir>/test/admin/renewals-service.test.ts',
  '<rootDir>/test/app/shared-psa-targets.test.ts',
  '<rootDir>/test/app/decision-answer.test.ts',
];
const contract = [
  '<rootDir>/test/contract/**/*.test.ts',
  '<rootDir>/test/conformance/**/*.test.ts',
  '<rootDir>/test/sandbox/**/*.test.ts',
  '<rootDir>/test/reconciliation/autotask-contract-charge.test.ts',
];

module.exports = {
  maxWorkers: 1,
  testTimeout: 60_000,
  // The Temporal native runtime keeps a handle open after the last test (sdk-typescript #928).
  forceExit: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: unit },
    { ...common, ...temporal, displayName: 'workflow', testMatch: ['<rootDir>/test/workflow/**/*.test.ts'], globalSetup: '<rootDir>/test/setup/workflow-setup.ts' },
    { ...common, displayName: 'contract', testMatch: contract, testPathIgnorePatterns: ['/node_modules/', 'autotask-rules\\.test\\.ts$'] },
    {
      ...common,
      ...temporal,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/domain/', '<rootDir>/test/workflow/', '<rootDir>/test/contract/', '<rootDir>/test/conformance/', '<rootDir>/test/sandbox/',
        'test/store/line-keys\\.test\\.ts$', 'test/store/secrets\\.test\\.ts$', 'test/worker/config\\.test\\.ts$', 'test/worker/startup-retry\\.test\\.ts$', 'test/worker/worker-logger\\.test\\.ts$',
        'test/cli/plan\\.test\\.ts$', 'test/admin/renewals-service\\.test\\.ts$', 'test/reconciliation/autotask-contract-charge\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
