/**
 * A time-skipping test environment with the connector's search attributes registered (the test
 * server checks them against its own registry, so a workflow that upserts one fails without it).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { allSearchAttributes } from '../../workflows/search-attributes';

export async function startTimeSkippingEnv(testServerPath: string): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testServerPath } } });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(allSearchAttributes.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}
