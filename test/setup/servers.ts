/** What the jest global setup started, passed to test files through the environment. */
export interface TestServers {
  temporalAddress: string;
  mongoUrl: string;
  smtpUrl: string;
  smtpApiUrl: string;
  temporalTestServerPath: string;
  /** Prebuilt workflow bundle (workflows/index.ts). */
  workflowBundle: string;
}

export function testServers(): TestServers {
  const env = process.env;
  if (!env.TEST_TEMPORAL_ADDRESS || !env.TEST_MONGO_URL || !env.TEST_SMTP_URL || !env.TEST_SMTP_API_URL || !env.TEST_TEMPORAL_TEST_SERVER || !env.TEST_WORKFLOW_BUNDLE) {
    throw new Error('test servers are not running — run this test through `npm test` or `npx jest`');
  }
  return {
    temporalAddress: env.TEST_TEMPORAL_ADDRESS,
    mongoUrl: env.TEST_MONGO_URL,
    smtpUrl: env.TEST_SMTP_URL,
    smtpApiUrl: env.TEST_SMTP_API_URL,
    temporalTestServerPath: env.TEST_TEMPORAL_TEST_SERVER,
    workflowBundle: env.TEST_WORKFLOW_BUNDLE,
  };
}

/** A fresh database name per test file, so files never see each other's documents. */
export function testDbUrl(mongoUrl: string, name: string): string {
  const u = new URL(mongoUrl);
  u.pathname = `/${name.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, 60)}`;
  return u.toString();
}
