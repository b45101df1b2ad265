/**
 * Replay tests: every stored history (test/fixtures/histories/*.json) must replay without a
 * non-determinism error on today's workflow code. A workflow change that alters the commands an
 * old history recorded fails here — guard it with `patched()` (docs/architecture.md "Changing a
 * workflow"), or, before the first release only, re-record on purpose:
 *
 *   RECORD_HISTORIES=1 npx jest --selectProjects workflow test/workflow/replay.test.ts
 *
 * which runs the scenarios of test/workflow/history-recipes.ts and rewrites the files.
 * Every workflow type the worker runs must have at least one stored history.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { recipes } from './history-recipes';
import { workflowBundle, temporalTestServer } from '../setup/workflow-setup-env';
import { startTimeSkippingEnv } from '../support/time-skipping-env';

jest.setTimeout(600_000);
const dir = path.join(__dirname, '..', 'fixtures', 'histories');
type History = temporal.api.history.v1.IHistory;
// Stored as protobuf.js objects (enums and 64-bit integers as strings, bytes in base64): a round
// trip through one library. (`historyToJSON` of @temporalio/common trips over its second copy of
// protobufjs in this install.)
const save = (h: History): string => JSON.stringify(temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(h), { enums: String, longs: String, bytes: String }), null, 1) + '\n';
const load = (file: string): History => temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
type EventType = temporal.api.enums.v1.EventType;
const { EventType } = temporal.api.enums.v1;

if (process.env.RECORD_HISTORIES === '1') {
  describe('recording workflow histories', () => {
    let env: TestWorkflowEnvironment;
    beforeAll(async () => {
      env = await startTimeSkippingEnv(temporalTestServer());
      mkdirSync(dir, { recursive: true });
    });
    afterAll(() => env?.teardown());

    it.each(recipes.map((r) => [r.name, r] as const))('%s', async (name, recipe) => {
      for (const f of readdirSync(dir).filter((f) => f.startsWith(`${name}.`))) rmSync(path.join(dir, f));
      const executions = await recipe.run(env, workflowBundle());
      let n = 0;
      for (const e of executions) {
        for (const history of await allRuns(env, e.workflowId, e.runId)) writeFileSync(path.join(dir, `${name}.${++n}.json`), save(history));
      }
      expect(n).toBeGreaterThan(0);
    });
  });
}

describe('stored workflow histories replay on today’s code', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

  it.each(files)('%s', async (file) => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundle() } }, load(file), file);
  });

  it('every workflow type the worker runs has a stored history', () => {
    const recorded = new Set(files.map((f) => typeOf(load(f))));
    expect(Object.keys(workflows).filter((t) => !recorded.has(t))).toEqual([]);
  });
});

/** Every run of an execution chain, oldest first: walk back from `last` over continued-as-new links. */
async function allRuns(env: TestWorkflowEnvironment, workflowId: string, last?: string): Promise<History[]> {
  const runs: History[] = [];
  let runId: string | undefined = last;
  for (;;) {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.unshift(history);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    runId = started?.continuedExecutionRunId || undefined;
    if (!runId) return runs;
  }
}

function typeOf(history: History): string {
  const first = history.events?.[0];
  if (first?.eventType !== (EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED as EventType)) return '?';
  return first.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
}
