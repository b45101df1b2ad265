/**
 * Runs before each test file: the Temporal SDK's own log lines (worker state changes…) at WARN,
 * so test output shows what matters. The native runtime is one per process and refuses a second
 * install, which later test files then simply keep.
 */
const g = globalThis as { __psaTemporalRuntime?: boolean };
if (!g.__psaTemporalRuntime) {
  g.__psaTemporalRuntime = true;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a jest setup file runs as CommonJS, once per test file
    const { Runtime, DefaultLogger } = require('@temporalio/worker') as typeof import('@temporalio/worker');
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by this process: keep it
  }
}
