import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type ScheduleHandle } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { dataConverterFor } from '../../src/codec/data-converter';
import type { PayloadKeySettings } from '../../src/codec/keys';
import { METADATA_KEY_ID } from '../../src/codec/metadata';
import { startUndecodableRunGuard } from '../../src/codec/undecodable-runs';
import { configSchema, type Config } from '../../src/config/environment';
import { applySchedule, ScheduleKeyUnavailableError, storedActionEncoding } from '../../src/schedule/apply-schedule';
import { updateSchedule } from '../../src/schedule/tune';
import { connectTestEnv, uniqueName, workflowBundle } from '../helpers/temporal';

/**
 * G8 key rotation end to end on the Temporal dev server (docs/confidentiality.md, "Rotation"), and what a worker does
 * with a payload it cannot decrypt (src/codec/undecodable-runs.ts):
 * - rotate A → B with `schedule:apply`, remove A: the next triggered run starts and its first workflow task decrypts;
 * - a run whose input is under a removed key, and a run with history written under a key the worker lacks (a
 *   rollback B → A): each is reported at once with the key id and closed after the grace, not after its ~76 min
 *   execution timeout, and the schedule's next run goes through.
 * The workers run the product's workflow code without activities: what is judged is the workflow task, the first
 * thing a run does with its input and history.
 */
jest.setTimeout(120_000);

const NEVER = '999h';
const GRACE_SECONDS = 3;
const keyA = randomBytes(32);
const keyB = randomBytes(32);

function keys(ids: string, active: string): PayloadKeySettings {
  const all: Record<string, Buffer> = { a: keyA, b: keyB };
  return {
    encrypt: true,
    keyring: { activeKeyId: active, keys: new Map(ids.split('').map((id) => [id, all[id] ?? Buffer.alloc(0)])) },
  };
}

function testConfig(): Config {
  return configSchema.parse({
    SQS_QUEUE_URL: 'http://sqs.us-east-1.localhost:9324/000000000000/unused-by-this-test',
    KINESIS_STREAM_NAME: 'unused-by-this-test',
    TEMPORAL_TASK_QUEUE: uniqueName('key-rotation-tq'),
    SCHEDULE_ID: uniqueName('key-rotation'),
    SCHEDULE_INTERVAL: NEVER,
    RUN_MODE: 'drain',
  });
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function keyIdOf(payload: Payload | null | undefined): string | undefined {
  const value = payload?.metadata?.[METADATA_KEY_ID];
  return value ? Buffer.from(value).toString('utf8') : undefined;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(250)) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('payload key rotation and undecodable payloads', () => {
  let env: TestWorkflowEnvironment;
  const schedules: string[] = [];
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    env = await connectTestEnv();
  });
  afterAll(async () => {
    for (const stop of stops) stop();
    for (const id of schedules) {
      await env?.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    }
    await env?.teardown();
  });

  /** A client of a process configured with these keys (PAYLOAD_KEYS, PAYLOAD_ACTIVE_KEY_ID). */
  function clientWith(settings: PayloadKeySettings): Client {
    return new Client({
      connection: env.connection,
      namespace: env.namespace ?? 'default',
      dataConverter: dataConverterFor(settings),
    });
  }

  /** A worker of the product's workflows with these keys; no activities: a run's first workflow task is judged. */
  async function workerWith(settings: PayloadKeySettings, taskQueue: string): Promise<Worker> {
    return Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      dataConverter: dataConverterFor(settings),
    });
  }

  async function history(client: Client, workflowId: string): Promise<HistoryEvent[]> {
    return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  }

  /**
   * The run the schedule started last (a trigger starts it asynchronously), seen by an observer that has every key:
   * the test's own reads must not depend on the key under test.
   */
  async function newestRun(handle: ScheduleHandle, after: number): Promise<string> {
    const observer = clientWith(keys('ab', 'b')).schedule.getHandle(handle.scheduleId);
    return waitFor('the schedule to start a run', async () => {
      const { info } = await observer.describe();
      return info.recentActions.length > after ? info.recentActions.at(-1)?.action.workflow.workflowId : undefined;
    });
  }

  /** Its first workflow task completed (input decrypted, commands written) and none failed. */
  async function firstTaskCompleted(client: Client, workflowId: string): Promise<HistoryEvent[]> {
    return waitFor(`run ${workflowId} to complete its first workflow task`, async () => {
      const events = await history(client, workflowId);
      expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
      return events.some((e) => e.workflowTaskCompletedEventAttributes) ? events : undefined;
    });
  }

  /**
   * Decode failures and closed runs as the worker's metrics count them, by label. One guard at a time: the failure
   * channel is process-wide (src/codec/decode-failures.ts), so each test stops its guard before the next starts one.
   */
  function recordingGuard(client: Client): { failures: Record<string, string>[]; closed: Record<string, string>[] } {
    for (const stop of stops.splice(0)) stop();
    const failures: Record<string, string>[] = [];
    const closed: Record<string, string>[] = [];
    const meter = {
      createCounter: (name: string) => ({
        add: (_value: number, tags: Record<string, string>) =>
          (name === 'edr_payload_decode_failures' ? failures : closed).push(tags),
      }),
    };
    stops.push(
      startUndecodableRunGuard(client, meter, () => undefined, { UNDECODABLE_RUN_GRACE_SECONDS: `${GRACE_SECONDS}` }),
    );
    return { failures, closed };
  }

  it('rotates A → B with schedule:apply, keeps the tuning, and after A is removed the next run decrypts', async () => {
    const config = testConfig();
    schedules.push(config.SCHEDULE_ID);
    const onlyA = clientWith(keys('a', 'a'));
    expect(await applySchedule(onlyA, config)).toBe('created');
    const handle = onlyA.schedule.getHandle(config.SCHEDULE_ID);
    // An operator's tuning, which no re-deploy may undo.
    await updateSchedule(handle, { input: { maxNumberOfMessages: 4, lanes: 3 } });
    const tuned = await handle.describe();
    expect((await storedActionEncoding(onlyA, config.SCHEDULE_ID))?.keyIds).toEqual(new Set(['a']));

    // Step 1: B added everywhere, A still active: nothing to rewrite.
    expect(await applySchedule(clientWith(keys('ab', 'a')), config)).toBe('exists');
    expect((await handle.describe()).info.lastUpdatedAt).toEqual(tuned.info.lastUpdatedAt);

    // Step 2: B active; apply rewrites the stored action under B, with the same values; a second apply does nothing.
    const bActive = clientWith(keys('ab', 'b'));
    expect(await applySchedule(bActive, config)).toBe('re-encrypted');
    expect(await storedActionEncoding(bActive, config.SCHEDULE_ID)).toEqual({ keyIds: new Set(['b']), plain: 0 });
    expect(await applySchedule(bActive, config)).toBe('exists');

    // Step 4: A removed. The schedule reads back with B alone, tuning intact.
    const onlyB = clientWith(keys('b', 'b'));
    const after = await onlyB.schedule.getHandle(config.SCHEDULE_ID).describe();
    if (after.action.type !== 'startWorkflow' || tuned.action.type !== 'startWorkflow') throw new Error('not ours');
    expect(after.action.args).toEqual(tuned.action.args);
    expect(after.action.args?.[0]).toMatchObject({ maxNumberOfMessages: 4, lanes: 3 });
    expect(after.spec.intervals).toEqual(tuned.spec.intervals);

    // The next run, on workers that know only B, starts and its first workflow task decrypts its input.
    const worker = await workerWith(keys('b', 'b'), config.TEMPORAL_TASK_QUEUE);
    const handleB = onlyB.schedule.getHandle(config.SCHEDULE_ID);
    await worker.runUntil(async () => {
      const before = (await handleB.describe()).info.recentActions.length;
      await handleB.trigger();
      const runId = await newestRun(handleB, before);
      const events = await firstTaskCompleted(onlyB, runId);
      const started = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      expect(keyIdOf(started)).toBe('b');
      await onlyB.workflow.getHandle(runId).terminate('test over');
    });
  });

  it('a run input under a removed key is reported at once with its key id and the run closed after the grace', async () => {
    const config = testConfig();
    schedules.push(config.SCHEDULE_ID);
    // The schedule written under A; the operator removed A without re-applying it (steps 2 and 4 out of order).
    expect(await applySchedule(clientWith(keys('a', 'a')), config)).toBe('created');
    const onlyB = clientWith(keys('b', 'b'));
    const handle = onlyB.schedule.getHandle(config.SCHEDULE_ID);
    // apply with B alone cannot read the input to keep it, so it refuses, naming the key it needs.
    await expect(applySchedule(onlyB, config)).rejects.toThrow(ScheduleKeyUnavailableError);
    await expect(applySchedule(onlyB, config)).rejects.toThrow(/key id "a"/);

    const guard = recordingGuard(onlyB);
    const worker = await workerWith(keys('b', 'b'), config.TEMPORAL_TASK_QUEUE);
    await worker.runUntil(async () => {
      const triggeredAt = Date.now();
      await handle.trigger();
      const runId = await newestRun(handle, 0);
      // Reported at once: the first failed workflow task counts a failure naming key "a".
      await waitFor('a decode failure naming key a', async () =>
        guard.failures.some((t) => t.key_id === 'a') ? true : undefined,
      );
      expect(Date.now() - triggeredAt).toBeLessThan(15_000);
      expect(guard.failures.find((t) => t.key_id === 'a')).toEqual({ key_id: 'a', reason: 'key-missing' });
      // Closed after the grace (plus one poll of the run), far from its execution timeout.
      const run = onlyB.workflow.getHandle(runId);
      await waitFor('the stuck run to be closed', async () =>
        (await run.describe()).status.name === 'TERMINATED' ? true : undefined,
      );
      expect(Date.now() - triggeredAt).toBeLessThan((GRACE_SECONDS + 20) * 1000);
      expect(guard.closed).toContainEqual({ key_id: 'a' });
      const events = await history(onlyB, runId);
      expect(events.some((e) => e.workflowTaskFailedEventAttributes)).toBe(true);
      expect(events.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason).toMatch(/key id "a"/);

      // The fix the alert points to: apply with A back among the keys and B active re-encrypts the input; the next
      // run goes through on the B-only workers.
      expect(await applySchedule(clientWith(keys('ab', 'b')), config)).toBe('re-encrypted');
      const before = (await clientWith(keys('ab', 'b')).schedule.getHandle(config.SCHEDULE_ID).describe()).info
        .recentActions.length;
      await handle.trigger();
      const next = await newestRun(handle, before);
      await firstTaskCompleted(onlyB, next);
      await onlyB.workflow.getHandle(next).terminate('test over');
    });
  });

  it('history written under a key the worker lacks (rollback B → A) is reported and the run closed after the grace', async () => {
    const config = testConfig();
    schedules.push(config.SCHEDULE_ID);
    // Rolled back to A: the schedule re-applied with A active (B still known to apply), workers know only A.
    expect(await applySchedule(clientWith(keys('ab', 'b')), config)).toBe('created');
    expect(await applySchedule(clientWith(keys('ab', 'a')), config)).toBe('re-encrypted');
    const onlyA = clientWith(keys('a', 'a'));
    const handle = onlyA.schedule.getHandle(config.SCHEDULE_ID);
    const guard = recordingGuard(onlyA);
    const worker = await workerWith(keys('a', 'a'), config.TEMPORAL_TASK_QUEUE);
    await worker.runUntil(async () => {
      await handle.trigger();
      const runId = await newestRun(handle, 0);
      await firstTaskCompleted(onlyA, runId);
      // History written under B into the open run (a B-era process signalled it): the A-only worker's next workflow
      // task must decode it. Signals carry their payloads through the same activation decoding as activity results.
      const writtenAt = Date.now();
      await clientWith(keys('ab', 'b')).workflow.getHandle(runId).signal('written-under-b', { note: 'history' });
      await waitFor('a decode failure naming key b', async () =>
        guard.failures.some((t) => t.key_id === 'b') ? true : undefined,
      );
      expect(Date.now() - writtenAt).toBeLessThan(15_000);
      const run = onlyA.workflow.getHandle(runId);
      await waitFor('the stuck run to be closed', async () =>
        (await run.describe()).status.name === 'TERMINATED' ? true : undefined,
      );
      expect(Date.now() - writtenAt).toBeLessThan((GRACE_SECONDS + 20) * 1000);
      expect(guard.closed).toContainEqual({ key_id: 'b' });

      // The schedule's next run (input under A) starts and decrypts on the A-only worker.
      const before = (await handle.describe()).info.recentActions.length;
      await handle.trigger();
      const next = await newestRun(handle, before);
      await firstTaskCompleted(onlyA, next);
      await onlyA.workflow.getHandle(next).terminate('test over');
    });
  });
});
