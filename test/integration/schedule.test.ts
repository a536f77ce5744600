import { setTimeout as sleep } from 'node:timers/promises';
import type { ScheduleHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import type { PipelineActivities, ReceiveRequest } from '../../activities';
import { configSchema, type Config } from '../../src/config/environment';
import { applySchedule } from '../../src/schedule/apply-schedule';
import { scheduleOptions } from '../../src/schedule/definition';
import { describeDrift, scheduleDrift } from '../../src/schedule/drift';
import { mergeTuning, updateSchedule } from '../../src/schedule/tune';
import { drainQueue } from '../../workflows';
import { connectTestEnv, createTestWorker, decodeTestPayload, uniqueName } from '../helpers/temporal';
import { emptyQueueActivities } from '../helpers/fake-activities';
import { emptyValidatedBatch } from '../../activities/validate-submissions';

/**
 * Schedule tuning on the Temporal dev server: `npm run schedule:update`'s code path changes what the next run gets,
 * and `npm run schedule:apply` (a re-deploy) never undoes an operator's tuning.
 */
jest.setTimeout(60_000);

// Intervals this long never tick during a test: only our triggers start runs.
const NEVER = '999h';

function testConfig(overrides: Record<string, string> = {}): Config {
  return configSchema.parse({
    SQS_QUEUE_URL: 'http://sqs.us-east-1.localhost:9324/000000000000/unused-by-this-test',
    KINESIS_STREAM_NAME: 'unused-by-this-test',
    TEMPORAL_TASK_QUEUE: uniqueName('schedule-test-tq'),
    SCHEDULE_ID: uniqueName('schedule-test'),
    SCHEDULE_INTERVAL: NEVER,
    ...overrides,
  });
}

describe('schedule tuning', () => {
  let env: TestWorkflowEnvironment;
  const created: string[] = [];

  beforeAll(async () => {
    env = await connectTestEnv();
  });
  afterAll(async () => {
    for (const id of created) {
      await env?.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    }
    await env?.teardown();
  });

  async function createSchedule(config: Config): Promise<ScheduleHandle> {
    created.push(config.SCHEDULE_ID);
    return env.client.schedule.create(scheduleOptions(config));
  }

  it('an update with new arguments changes the next run', async () => {
    // Drain mode: the run ends at its first empty receive, so the test can read its summary.
    const config = testConfig({ RUN_MODE: 'drain' });
    const handle = await createSchedule(config);

    const changes = await updateSchedule(handle, {
      intervalMs: 998 * 3600_000,
      input: { lanes: 3, maxNumberOfMessages: 4, visibilityTimeoutSeconds: 90 },
    });
    expect(changes).toEqual([
      { field: 'interval', from: '999h', to: '998h' },
      { field: 'input.maxNumberOfMessages', from: 10, to: 4 },
      { field: 'input.visibilityTimeoutSeconds', from: 120, to: 90 },
      { field: 'input.lanes', from: 2, to: 3 },
    ]);

    // Fake activities record what the run asks for; an empty queue ends every lane after one receive.
    const receives: ReceiveRequest[] = [];
    const activities = emptyQueueActivities((request) => receives.push(request));
    const worker = await createTestWorker(env, config.TEMPORAL_TASK_QUEUE, activities);

    const { summary, startInput } = await worker.runUntil(async () => {
      await handle.trigger();
      const run = env.client.workflow.getHandle<typeof drainQueue>(await firstRunOf(handle));
      const summary = await run.result();
      const history = await run.fetchHistory();
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      return { summary, startInput: payload ? await decodeTestPayload(payload) : undefined };
    });

    // The run was started with the merged input: the tuned keys changed, the others kept their values.
    expect(startInput).toEqual({
      maxNumberOfMessages: 4,
      visibilityTimeoutSeconds: 90,
      mode: 'drain',
      idleWaitSeconds: 20,
      receiveWaitSeconds: 1,
      receivesPerBatch: 50,
      gatherMilliseconds: 500,
      lanes: 3,
      runBudgetSeconds: 300,
      partitionKey: 'device_id',
      includeProvenance: false,
      searchAttributes: true,
      unknownFields: 'accept',
      // One set of validation limits per run, seeded from the environment (docs/compatibility.md).
      validationLimits: {
        maxBodyBytes: 262144,
        maxEventsPerSubmission: 1000,
        maxFieldLength: 8192,
        maxNestingDepth: 32,
        maxRecordBytes: 1048576,
      },
    });
    // ...and it acted on it: three lanes, each receiving 4 messages per request with a 90 s visibility timeout.
    expect(summary.lanes).toEqual(['queue-empty', 'queue-empty', 'queue-empty']);
    expect(receives).toHaveLength(3);
    for (const request of receives) {
      expect(request).toMatchObject({ maxNumberOfMessages: 4, visibilityTimeoutSeconds: 90, receives: 50 });
    }

    // The update replaced only what was asked: summaries, note and policies survive it.
    const after = await handle.describe();
    expect(after.spec.intervals?.map((i) => i.every)).toEqual([998 * 3600_000]);
    expect(after.state.note).toMatch(/schedule:apply/);
    expect(after.policies.overlap).toBe('BUFFER_ONE');
    expect(after.action.type === 'startWorkflow' && after.action.staticSummary).toBe(
      'Drain the submissions queue into the events stream',
    );
  });

  it('after a run is terminated, the next tick starts a run that consumes (the schedule supervises)', async () => {
    const config = testConfig({ SCHEDULE_INTERVAL: '2s', RUN_BUDGET_SECONDS: '30', IDLE_WAIT_SECONDS: '1' });
    const queue: string[] = [];
    const batches = new Map<string, string[]>();
    let terminatedRunId: string | undefined;
    const published: { messageId: string; workflowId: string; runId: string }[] = [];
    const counts = { deleted: 0, retriedEntries: 0, staleReceipts: 0 };
    const activities: PipelineActivities = {
      receiveSubmissions: async () => {
        // An empty queue answers after a short poll, as a long poll would.
        if (queue.length === 0) await sleep(200);
        const { info } = Context.current();
        // A receive still in flight for the terminated run takes nothing: this fake has no visibility timeout to
        // hand such a message back, as SQS would.
        const taken = info.workflowExecution?.runId === terminatedRunId ? [] : queue.splice(0);
        const batchId = `b-${batches.size}`;
        batches.set(batchId, taken);
        return { batchId, taskQueue: info.taskQueue, messages: taken.length, bodyBytes: 0, redelivered: 0 };
      },
      validateSubmissions: async ({ batchId }) => ({
        ...emptyValidatedBatch(),
        valid: batches.get(batchId)?.length ?? 0,
      }),
      publishEvents: async ({ batchId }) => {
        const execution = Context.current().info.workflowExecution;
        if (!execution) throw new Error('a workflow activity has its execution');
        const { workflowId, runId } = execution;
        const ids = batches.get(batchId) ?? [];
        published.push(...ids.map((messageId) => ({ messageId, workflowId, runId })));
        return {
          eventsPublished: 0,
          submissions: ids.length,
          putRecordsRequests: 1,
          retriedEntries: 0,
          resumedEvents: 0,
        };
      },
      deleteMessages: async ({ batchIds }) => ({
        ...counts,
        notHeld: [],
        deleted: batchIds.reduce((n, id) => n + (batches.get(id)?.length ?? 0), 0),
      }),
      dropInvalidSubmissions: async () => ({ ...counts, notHeld: [], quarantined: 0, notQuarantined: 0 }),
    };
    const send = (messageId: string): void => {
      queue.push(messageId);
    };
    const waitFor = async (what: string, done: () => boolean | Promise<boolean>): Promise<void> => {
      for (const until = Date.now() + 40_000; Date.now() < until;) {
        if (await done()) return;
        await sleep(200);
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const worker = await createTestWorker(env, config.TEMPORAL_TASK_QUEUE, activities);
    const handle = await createSchedule(config);

    await worker.runUntil(async () => {
      send('before');
      await waitFor('the first run to consume', () => published.some((p) => p.messageId === 'before'));
      const first = published.find((p) => p.messageId === 'before');
      if (!first) throw new Error('unreachable: waited for it');
      const dying = env.client.workflow.getHandle(first.workflowId, first.runId);
      terminatedRunId = first.runId;
      await dying.terminate('test: the run dies');

      send('after');
      await waitFor('a later run to consume', () => published.some((p) => p.messageId === 'after'));
      expect(published.find((p) => p.messageId === 'after')?.runId).not.toBe(first.runId);
      expect((await dying.describe()).status.name).toBe('TERMINATED');
      await handle.delete();
      const running = env.client.workflow.list({
        query: `TaskQueue = "${config.TEMPORAL_TASK_QUEUE}" AND ExecutionStatus = "Running"`,
      });
      for await (const run of running) {
        await env.client.workflow
          .getHandle(run.workflowId, run.runId)
          .terminate('test over')
          .catch(() => undefined);
      }
    });
  });

  it('apply is idempotent and never overwrites operator tuning', async () => {
    const config = testConfig();
    created.push(config.SCHEDULE_ID);
    // Two deploys at once: exactly one creates it.
    const outcomes = await Promise.all([applySchedule(env.client, config), applySchedule(env.client, config)]);
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'created')[0]).toMatch(/^(exists|created-concurrently)$/);

    const handle = env.client.schedule.getHandle(config.SCHEDULE_ID);
    await updateSchedule(handle, { intervalMs: 997 * 3600_000, input: { lanes: 5, receivesPerBatch: 2 } });
    await handle.pause('operator: maintenance');
    const tuned = await handle.describe();

    // A re-deploy, even with other environment values, leaves the schedule exactly as the operator left it.
    const redeploy = { ...config, PARALLEL_LANES: 7, SCHEDULE_INTERVAL: '5m', MAX_NUMBER_OF_MESSAGES: 1 };
    expect(await applySchedule(env.client, redeploy)).toBe('exists');
    expect(await applySchedule(env.client, config)).toBe('exists');

    const after = await handle.describe();
    expect(after.action.type === 'startWorkflow' && after.action.args).toEqual(
      tuned.action.type === 'startWorkflow' && tuned.action.args,
    );
    expect(after.action.type === 'startWorkflow' && after.action.args?.[0]).toMatchObject({
      lanes: 5,
      receivesPerBatch: 2,
    });
    expect(after.spec.intervals?.map((i) => i.every)).toEqual([997 * 3600_000]);
    expect(after.state).toMatchObject({ paused: true, note: 'operator: maintenance' });
    expect(after.info.lastUpdatedAt).toEqual(tuned.info.lastUpdatedAt);

    // ...but it says where the environment and the live schedule disagree, with the one command that applies it.
    const drift = scheduleDrift(after, redeploy, {
      PARALLEL_LANES: '7',
      SCHEDULE_INTERVAL: '5m',
      RECEIVES_PER_BATCH: '50',
    });
    expect(drift.differences).toEqual([
      { field: 'input.receivesPerBatch', live: 2, environment: 50 },
      { field: 'input.lanes', live: 5, environment: 7 },
      { field: 'interval', live: '997h', environment: '5m' },
    ]);
    expect(drift.command).toBe('npm run schedule -- update --interval 5m --receives-per-batch 50 --lanes 7');
    expect(describeDrift(config.SCHEDULE_ID, drift)).toContain(drift.command);
    // Variables the environment does not set ask for nothing, whatever the schedule holds.
    expect(scheduleDrift(after, redeploy, {})).toEqual({ differences: [], command: undefined });
  });

  it('gives the schedule action a run timeout, and a re-deploy sets it on an old schedule without touching tuning', async () => {
    const config = testConfig();
    const timeoutMs = (300 + 4639 + 300) * 1000;
    const fresh = await createSchedule(config);
    const described = await fresh.describe();
    expect(described.action.type === 'startWorkflow' && described.action.workflowExecutionTimeout).toBe(timeoutMs);

    // A schedule created before the timeout existed, then tuned and paused by an operator.
    const old = testConfig();
    const options = scheduleOptions(old);
    created.push(old.SCHEDULE_ID);
    const handle = await env.client.schedule.create({
      ...options,
      action: { ...options.action, workflowExecutionTimeout: undefined },
    });
    await handle.update((prev) =>
      prev.action.type === 'startWorkflow'
        ? { ...prev, action: { ...prev.action, args: [{ lanes: 5, runBudgetSeconds: 600 }] } }
        : prev,
    );
    await handle.pause('operator: maintenance');
    const tuned = await handle.describe();
    expect(tuned.action.type === 'startWorkflow' && tuned.action.workflowExecutionTimeout).toBeUndefined();

    expect(await applySchedule(env.client, { ...old, RUN_BUDGET_SECONDS: 60 })).toBe('timeout-updated');
    const after = await handle.describe();
    if (after.action.type !== 'startWorkflow' || tuned.action.type !== 'startWorkflow') throw new Error('not ours');
    // The timeout follows the schedule's own budget (600 s), not the environment's; the tuning is untouched.
    expect(after.action.workflowExecutionTimeout).toBe((600 + 4639 + 300) * 1000);
    expect(after.action.args).toEqual(tuned.action.args);
    expect(after.spec.intervals).toEqual(tuned.spec.intervals);
    expect(after.state).toMatchObject({ paused: true, note: 'operator: maintenance' });
    expect(await applySchedule(env.client, old)).toBe('exists');

    // Tuning the budget moves the timeout with it.
    const changes = await updateSchedule(handle, { input: { runBudgetSeconds: 120 } });
    expect(changes).toContainEqual({
      field: 'workflowExecutionTimeout',
      from: (600 + 4639 + 300) * 1000,
      to: (120 + 4639 + 300) * 1000,
    });
    const retuned = await handle.describe();
    expect(retuned.action.type === 'startWorkflow' && retuned.action.workflowExecutionTimeout).toBe(
      (120 + 4639 + 300) * 1000,
    );
  });

  it('refuses a tuning whose run input every run would reject, and writes nothing', async () => {
    const handle = await createSchedule(testConfig());
    const before = await handle.describe();

    await expect(updateSchedule(handle, { input: { lanes: 65 } })).rejects.toThrow(/lanes: Too big/);
    await expect(updateSchedule(handle, { input: { visibilityTimeoutSeconds: 10 } })).rejects.toThrow(
      /visibility-timeout 84/,
    );
    // Nothing to change: nothing written.
    expect(await updateSchedule(handle, { input: { lanes: 2 } })).toEqual([]);

    expect((await handle.describe()).info.lastUpdatedAt).toEqual(before.info.lastUpdatedAt);
  });

  it('merges into the existing run input without freezing defaults the operator never set', async () => {
    const handle = await createSchedule(testConfig());
    const prev = await handle.describe();
    if (prev.action.type !== 'startWorkflow') throw new Error('expected a startWorkflow action');
    // As if an operator had set a partial input with temporal schedule update --input '{"lanes":4}'.
    const partial = { ...prev, action: { ...prev.action, args: [{ lanes: 4 }] } };

    const { next, changes } = mergeTuning(partial, { input: { maxNumberOfMessages: 3 } });

    expect(next.action.args).toEqual([{ lanes: 4, maxNumberOfMessages: 3 }]);
    expect(changes).toEqual([{ field: 'input.maxNumberOfMessages', from: 10, to: 3 }]);
    expect(next.spec).toEqual(prev.spec);
    expect(() => mergeTuning({ ...prev, action: { ...prev.action, args: [{ lane: 4 }] } }, { input: {} })).toThrow(
      /current run input is invalid/,
    );
  });
});

/** The workflow id of the schedule's first started run (a trigger is asynchronous). */
async function firstRunOf(handle: ScheduleHandle): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { info } = await handle.describe();
    const started = info.recentActions[0]?.action.workflow.workflowId;
    if (started) return started;
    await sleep(200);
  }
  throw new Error('the schedule did not start a run');
}
