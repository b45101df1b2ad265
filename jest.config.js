/** Jest runs TypeScript through SWC (type checking is `npm run typecheck`'s job, so tests stay fast
 *  on a 2-core machine). One process (`maxWorkers: 1`): the servers started by the global setup are
 *  shared, and each Temporal worker brings its own Rust runtime. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  setupFiles: ['<rootDir>/test/setup/temporal-runtime.ts'],
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  // The Temporal native runtime keeps a handle open after the last test (sdk-typescript #928).
  forceExit: true,
  modulePathIgnorePatterns: ['<rootDir>/.tools', '<rootDir>/.data', '<rootDir>/dist'],
};
