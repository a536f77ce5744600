import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPutRecordsBatcher, type PutRecordsBatcher } from '../../src/publish/put-records-batcher';
import type { ReceivedBatch } from '../../src/contracts/batch-steps';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { drainQueue } from '../../workflows';
import { createTestQueue, deleteTestQueue, emulatorClients, queueDepth, sendBodies } from '../helpers/aws';
import { validSubmission } from '../helpers/submissions';
import {
  connectTestEnv,
  createTestPipeline,
  decodeTestPayloads,
  testDataConverter,
  uniqueName,
} from '../helpers/temporal';

/**
 * Temporal's limits no longer bound a batch (bodies stay on the worker that received them), so the top of every range
 * must hold against the real dev server (which refuses a workflow-task completion over 4 MiB) with the worst bodies:
 * 8 lanes, 100 receives of 10 per batch, and near-limit submissions whose command lines are random base64 (as
 * `powershell -enc` produces: incompressible) among ordinary ones. The real SQS activities and the deployed worker
 * composition; the Kinesis side answers every entry at once after a pause (its say in Temporal's limits is nil), and
 * the visibility timeout is shorter than a batch takes, so only the batch's lease keeps its messages hidden.
 */
jest.setTimeout(240_000);

const RUN = {
  mode: 'drain',
  lanes: 8,
  receivesPerBatch: 100,
  maxNumberOfMessages: 10,
  visibilityTimeoutSeconds: 15,
  receiveWaitSeconds: 1,
  searchAttributes: false,
} as const;

/** 1,000 events with random base64 command lines: ~250 KB of JSON that no compressor shrinks much. */
function incompressibleSubmission(): string {
  const doc = validSubmission({ processes: 0, connections: 0 });
  const events = Array.from({ length: 1000 }, () => ({ cmdl: randomBytes(150).toString('base64'), user: 'u' }));
  return JSON.stringify({ ...doc, submission_id: randomUUID(), events: { new_process: events } });
}

/** The worker's real batcher over a stream that acknowledges every entry after `delayMs`: batches outlive the lease. */
function slowAcknowledgingStream(delayMs: number): PutRecordsBatcher {
  let sequence = 0;
  return createPutRecordsBatcher(async (entries) => {
    await sleep(delayMs);
    return entries.map(() => ({ SequenceNumber: String(++sequence), ShardId: 'shardId-000000000000' }));
  });
}

describe('Temporal limits at the top of every range, with incompressible near-limit bodies', () => {
  let env: TestWorkflowEnvironment;
  const { sqs, kinesis } = emulatorClients();
  let queueUrl = '';

  beforeAll(async () => {
    env = await connectTestEnv();
    queueUrl = await createTestQueue(sqs, uniqueName('limits'));
  });
  afterAll(async () => {
    await deleteTestQueue(sqs, queueUrl);
    await env?.teardown();
  });

  it('completes every run: no workflow task over a limit, no message redelivered while its lane holds it', async () => {
    const heavy = Array.from({ length: 40 }, incompressibleSubmission);
    expect(Math.min(...heavy.map((b) => Buffer.byteLength(b)))).toBeGreaterThan(200_000);
    expect(Math.max(...heavy.map((b) => Buffer.byteLength(b)))).toBeLessThanOrEqual(
      DEFAULT_VALIDATION_LIMITS.maxBodyBytes,
    );
    const ordinary = Array.from({ length: 400 }, () =>
      JSON.stringify(validSubmission({ processes: 4, connections: 4 })),
    );
    const bodies = [...heavy, ...ordinary].sort(() => Math.random() - 0.5);
    await sendBodies(sqs, queueUrl, bodies);

    const taskQueue = uniqueName('limits-tq');
    const workers = await createTestPipeline(env, taskQueue, {
      sqs,
      kinesis,
      queueUrl,
      streamName: 'unused',
      limits: DEFAULT_VALIDATION_LIMITS,
      // 1,000 rounds of 20 ms for a heavy submission: 20 s, longer than the 15 s visibility timeout.
      putRecordsBatcher: slowAcknowledgingStream(20),
    });
    const workflowId = uniqueName('limits-run');
    const { summary, firstRunId } = await workers.runUntil(async () => {
      const handle = await env.client.workflow.start(drainQueue, { taskQueue, workflowId, args: [RUN] });
      return { summary: await handle.result(), firstRunId: handle.firstExecutionRunId };
    });

    expect(summary.failures).toEqual([]);
    expect(summary.abandonedMessages).toBe(0);
    // Received once each: a message whose visibility lapsed while its lane held it would be received again.
    expect(summary.received).toBe(bodies.length);
    expect(summary.valid).toBe(bodies.length);
    expect(summary.eventsPublished).toBe(heavy.length * 1000 + ordinary.length * 8);
    expect(summary.deleted).toBe(bodies.length);
    expect(summary.staleReceipts).toBe(0);
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });

    const events = await historyOf(workflowId, firstRunId);
    const failedTasks = events.flatMap((e) =>
      e.workflowTaskFailedEventAttributes ? [e.workflowTaskFailedEventAttributes] : [],
    );
    // The dev server force-fails an occasional task under load (FORCE_CLOSE_COMMAND, retried at once): not a limit.
    const forceClosed = (f: { cause?: unknown }): boolean =>
      f.cause === temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND;
    expect(failedTasks.filter((f) => !forceClosed(f))).toEqual([]);
    expect(events.filter((e) => e.workflowTaskTimedOutEventAttributes)).toEqual([]);

    const receives = await Promise.all(
      events.flatMap((e) => {
        const result = e.activityTaskCompletedEventAttributes?.result?.payloads ?? [];
        return result.length > 0 ? [decodeTestPayloads(result)] : [];
      }),
    );
    const batches = receives.flatMap((decoded) =>
      decoded.flatMap((p) => {
        const value = JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString('utf8')) as Partial<ReceivedBatch>;
        return typeof value.batchId === 'string' && value.batchId !== '' ? [value] : [];
      }),
    );
    expect(batches.reduce((n, b) => n + (b.redelivered ?? 0), 0)).toBe(0);
    // Batches grew with the backlog: on average more than one receive's worth.
    expect(summary.received / summary.batches).toBeGreaterThan(10);
    const largestPayload = Math.max(
      ...(await Promise.all(
        events.map(async (e) => {
          const input = e.activityTaskScheduledEventAttributes?.input?.payloads ?? [];
          const result = e.activityTaskCompletedEventAttributes?.result?.payloads ?? [];
          const decoded = await decodeTestPayloads([...input, ...result]);
          return decoded.reduce((n, p) => n + (p.data?.length ?? 0), 0);
        }),
      )),
    );
    console.log(
      `limits: ${summary.batches} batches, ${events.length} history events, largest payload ${largestPayload} B, ` +
        `force-closed tasks ${failedTasks.length}`,
    );
    // No body travels: the largest payload is a run's summary or input, a few kilobytes.
    expect(largestPayload).toBeLessThan(16_384);
  });
});

/** Every event of the run chain, read with a client that accepts large pages. */
async function historyOf(workflowId: string, firstRunId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const connection = await Connection.connect({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
  });
  const reader = new Client({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    dataConverter: testDataConverter(),
  });
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history = await reader.workflow.getHandle(workflowId, runId).fetchHistory();
    events.push(...(history.events ?? []));
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  await connection.close();
  return events;
}
