import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, type Payload } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { MessageHold, type PipelineActivities, type ReceiveRequest } from '../../activities';
import type { HeldMessage } from '../../activities/message-hold';
import { createValidateSubmissions } from '../../activities/validate-submissions';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import type { DrainInputOverrides } from '../../workflows/drain-input';
import { BATCH_NOT_HELD } from '../../src/contracts/failure-types';
import type { RunSummary } from '../../workflows/run-summary';
import { drainQueue } from '../../workflows';
import { connectTestEnv, decodeTestPayloads, testDataConverter, uniqueName, workflowBundle } from '../helpers/temporal';
import { asBase64, brokenBodies, validSubmission } from '../helpers/submissions';
import { stubbedSqs } from '../helpers/stub-sqs';

/**
 * The workflow's orchestration against the real Temporal dev server, in the deployed shape (a shared queue for the
 * workflow and its receives, the receiving worker's own queue for the batch's steps), with an in-memory queue and
 * stream in place of AWS. The batch's bodies sit in a real MessageHold and are judged by the real validate step; the
 * real AWS activities are tested against the emulators elsewhere.
 */
class FakePipeline {
  readonly queue: { messageId: string; body: string }[] = [];
  readonly stream: { messageId: string; data: string }[] = [];
  readonly deletedIds: string[] = [];
  failPublishFor = new Set<string>();
  /** Every receive request, in order; `beforeReceive` runs first (e.g. a submission arriving while a lane polls). */
  readonly receives: ReceiveRequest[] = [];
  /** For each receive, in order: how many receives were running when it started (itself included). */
  readonly receivesRunning: number[] = [];
  private running = 0;
  beforeReceive: (receiveNumber: number) => void = () => undefined;
  /** What the fake did, in order (receive / delete start / delete end), to check which step waits for which. */
  readonly steps: string[] = [];
  /** The task queue each batch step ran on. */
  readonly stepQueues = new Set<string>();
  /** The batch ids of every delete step, in order. */
  readonly deleteRequests: string[][] = [];
  deleteDelayMs = 0;
  failDeletes = false;
  /** The batch steps answer as a worker that no longer holds the batch. */
  lostBatches = false;
  readonly dropped: { messageId: string; reason: string; body: string }[] = [];
  // The lease's visibility extensions are answered without a network (the runs here are shorter than a period).
  readonly hold = new MessageHold(
    {
      sqs: stubbedSqs('ChangeMessageVisibilityBatchCommand', () => ({ Successful: [], $metadata: {} })).sqs,
      queueUrl: 'q',
    },
    { maxBytes: 64 * 1024 * 1024, idleReleaseMs: 60_000 },
  );
  private readonly validate = createValidateSubmissions({ hold: this.hold, limits: DEFAULT_VALIDATION_LIMITS });
  private sent = 0;

  constructor(readonly ownQueue: string) {}

  send(body: string): string {
    const messageId = `m-${this.sent++}-${Math.random()}`;
    this.queue.push({ messageId, body });
    return messageId;
  }

  /** Messages still held (received, not deleted). */
  get held(): number {
    return this.hold.heldBatches;
  }

  private step<T>(name: string, run: () => Promise<T>): Promise<T> {
    this.stepQueues.add(Context.current().info.taskQueue);
    if (this.lostBatches) {
      throw ApplicationFailure.nonRetryable(`${name}: batch not held (fake)`, BATCH_NOT_HELD);
    }
    return run();
  }

  activities(): PipelineActivities {
    return {
      receiveSubmissions: async (request) => {
        this.running += 1;
        this.receivesRunning.push(this.running);
        this.receives.push(request);
        this.steps.push('receive');
        this.beforeReceive(this.receives.length);
        // An empty queue answers after a short poll, as a long poll would (shortened: the test measures no latency).
        if (this.queue.length === 0) await sleep(100);
        this.running -= 1;
        const taken = this.queue.splice(0, request.maxNumberOfMessages * request.receives);
        const empty = { batchId: '', taskQueue: this.ownQueue, messages: 0, bodyBytes: 0, redelivered: 0 };
        if (taken.length === 0) return empty;
        const messages: HeldMessage[] = taken.map((m) => ({
          messageId: m.messageId,
          receiptHandle: `rh-${m.messageId}`,
          receivedAtMs: Date.now(),
          identityId: m.messageId,
          body: m.body,
          bodyBytes: Buffer.byteLength(m.body),
          sentAtMs: null,
          receiveCount: 1,
          firstReceivedAtMs: null,
        }));
        const batchId = this.hold.hold(messages, request.visibilityTimeoutSeconds);
        return { ...empty, batchId, messages: messages.length };
      },
      validateSubmissions: (request) => this.step('validate', () => this.validate(request)),
      publishEvents: (request) =>
        this.step('publish', () =>
          this.hold.use(request.batchId, async (batch) => {
            const valid = [...batch.messages.values()].flatMap((m) =>
              m.validation?.valid ? [m.validation.submission] : [],
            );
            if (valid.some((s) => this.failPublishFor.has(s.messageId))) {
              throw ApplicationFailure.nonRetryable('stream unavailable (fake)', 'ResourceNotFoundException');
            }
            for (const s of valid) {
              for (const data of s.records) this.stream.push({ messageId: s.messageId, data });
              batch.progress[s.messageId] = s.records.length;
            }
            const events = valid.reduce((n, s) => n + s.records.length, 0);
            return {
              eventsPublished: events,
              submissions: valid.length,
              putRecordsRequests: 1,
              retriedEntries: 0,
              resumedEvents: 0,
            };
          }),
        ),
      deleteMessages: (request) =>
        this.step('delete', async () => {
          this.steps.push('delete-start');
          this.deleteRequests.push(request.batchIds);
          await sleep(this.deleteDelayMs);
          if (this.failDeletes) throw ApplicationFailure.nonRetryable('queue unavailable (fake)', 'AccessDenied');
          this.steps.push('delete-end');
          return this.settleAll(request.batchIds, (m) => m.validation?.valid === true);
        }),
      dropInvalidSubmissions: (request) =>
        this.step('drop', async () => {
          const result = await this.settleAll(request.batchIds, (m) => {
            if (m.validation?.valid !== false) return false;
            this.dropped.push({ messageId: m.messageId, reason: m.validation.reason, body: m.body });
            return true;
          });
          return { ...result, quarantined: 0, notQuarantined: 0 };
        }),
    };
  }

  private async settleAll(batchIds: string[], which: (m: HeldMessage) => boolean) {
    const results = await Promise.all(batchIds.map((id) => this.settle(id, which)));
    return { notHeld: [], ...sumCounts(results) };
  }

  private async settle(batchId: string, which: (m: HeldMessage) => boolean) {
    const messages = await this.hold.use(batchId, (batch) =>
      Promise.resolve([...batch.messages.values()].filter(which)),
    );
    this.deletedIds.push(...messages.map((m) => m.messageId));
    this.hold.settle(
      batchId,
      messages.map((m) => m.messageId),
    );
    return { deleted: messages.length, retriedEntries: 0, staleReceipts: 0 };
  }
}

function sumCounts(results: { deleted: number; retriedEntries: number; staleReceipts: number }[]) {
  const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + f(r), 0);
  return {
    deleted: sum((r) => r.deleted),
    retriedEntries: sum((r) => r.retriedEntries),
    staleReceipts: sum((r) => r.staleReceipts),
  };
}

// Each case bundles nothing (the bundle is shared) but runs a real workflow on the dev server: seconds under load.
jest.setTimeout(60_000);

describe('drainQueue workflow', () => {
  let env: TestWorkflowEnvironment;
  const pipelines: FakePipeline[] = [];
  beforeAll(async () => {
    env = await connectTestEnv();
  });
  afterEach(() => {
    pipelines.splice(0).forEach((p) => p.hold.close());
  });
  afterAll(async () => {
    await env?.teardown();
  });

  function pipeline(): FakePipeline {
    const created = new FakePipeline(uniqueName('drain-test-own'));
    pipelines.push(created);
    return created;
  }

  /** A shared-queue worker (workflow, receives) and a worker on the fake's own queue (the batch's steps). */
  async function run(
    fake: FakePipeline,
    input: DrainInputOverrides,
    workflowId = uniqueName('drain'),
  ): Promise<RunSummary> {
    const taskQueue = uniqueName('drain-test');
    const { receiveSubmissions, ...steps } = fake.activities();
    const shared = await Worker.create({
      dataConverter: testDataConverter(),
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: { receiveSubmissions },
    });
    const own = await Worker.create({
      dataConverter: testDataConverter(),
      connection: env.nativeConnection,
      taskQueue: fake.ownQueue,
      activities: steps,
    });
    return own.runUntil(() =>
      shared.runUntil(env.client.workflow.execute(drainQueue, { taskQueue, workflowId, args: [input] })),
    );
  }

  it('drains every batch, publishes valid submissions in order and deletes every message', async () => {
    const fake = pipeline();
    const valid = Array.from({ length: 23 }, () => validSubmission({ processes: 2, connections: 3 }));
    const validIds = valid.map((doc) => fake.send(asBase64(doc)));
    fake.send(brokenBodies.badSubmissionId());
    fake.send(brokenBodies.nullCmdl());
    fake.send(brokenBodies.badDestinationIp());
    fake.send(brokenBodies.notJson());

    const summary = await run(fake, { mode: 'drain', maxNumberOfMessages: 3, receivesPerBatch: 2, lanes: 3 });

    expect(summary).toMatchObject({ received: 27, valid: 23, invalid: 4, eventsPublished: 23 * 5, deleted: 27 });
    expect(summary.invalidByReason).toEqual({ invalid_uuid: 1, wrong_type: 1, invalid_ipv4: 1, undecodable_body: 1 });
    expect(summary.invalidSamples).toHaveLength(4);
    // Invalid submissions are dropped with their original body and reason (for the optional quarantine queue).
    expect(fake.dropped.map((d) => d.reason).sort()).toEqual([
      'invalid_ipv4',
      'invalid_uuid',
      'undecodable_body',
      'wrong_type',
    ]);
    expect(fake.dropped.find((d) => d.reason === 'undecodable_body')?.body).toBe(brokenBodies.notJson());
    expect(summary.lanes).toEqual(['queue-empty', 'queue-empty', 'queue-empty']);
    expect(summary.batches).toBe(5);
    // The batch's steps ran on the receiving worker's own queue, and it holds nothing once the run is done.
    expect([...fake.stepQueues]).toEqual([fake.ownQueue]);
    expect(fake.queue).toHaveLength(0);
    expect(fake.held).toBe(0);
    for (const id of validIds) {
      const types = fake.stream
        .filter((r) => r.messageId === id)
        .map((r) => (JSON.parse(r.data) as { type: string }).type);
      expect(types).toEqual([
        'new_process',
        'new_process',
        'network_connection',
        'network_connection',
        'network_connection',
      ]);
    }
  }, 30_000); // the suite's first run also bundles the workflow code, slow on a loaded machine

  it("counts unknown fields under the run's policy", async () => {
    const fake = pipeline();
    fake.send(asBase64({ ...validSubmission({ processes: 1, connections: 0 }), sensor_build: 'x' }));
    fake.send(asBase64(validSubmission({ processes: 1, connections: 0 })));

    const summary = await run(fake, { mode: 'drain', lanes: 1 });

    expect(summary).toMatchObject({ received: 2, valid: 2, invalid: 0, eventsPublished: 2, deleted: 2 });
    expect(summary).toMatchObject({ unknownFieldSubmissions: 1, unknownFieldsByPath: { sensor_build: 1 } });
  });

  it('receives the next batch while the published batch is still being deleted', async () => {
    const fake = pipeline();
    fake.deleteDelayMs = 1_500;
    for (let i = 0; i < 2; i++) fake.send(asBase64(validSubmission()));

    const summary = await run(fake, { mode: 'drain', maxNumberOfMessages: 1, receivesPerBatch: 1, lanes: 1 });

    expect(summary).toMatchObject({ received: 2, deleted: 2, lanes: ['queue-empty'] });
    // The second receive starts before the first delete ends; the run still ends only after every delete.
    const secondReceive = fake.steps.indexOf('receive', 1);
    expect(secondReceive).toBeGreaterThan(0);
    expect(secondReceive).toBeLessThan(fake.steps.indexOf('delete-end'));
    expect(fake.steps.filter((step) => step === 'delete-end')).toHaveLength(2);
    expect(fake.held).toBe(0);
  });

  it('stops a lane whose background delete failed, and fails the run visibly', async () => {
    const fake = pipeline();
    fake.failDeletes = true;
    for (let i = 0; i < 3; i++) fake.send(asBase64(validSubmission()));

    const error = await run(fake, { mode: 'drain', maxNumberOfMessages: 1, receivesPerBatch: 1, lanes: 1 }).catch(
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('RunIncomplete');
    // The lane noticed the failure before taking a third batch; nothing was deleted.
    expect(fake.receives.length).toBeLessThanOrEqual(2);
    expect(fake.deletedIds).toHaveLength(0);
  });

  it('never deletes a message whose events were not all published, and fails the run visibly', async () => {
    const fake = pipeline();
    const failing = fake.send(asBase64(validSubmission()));
    fake.send(brokenBodies.notJson());
    fake.failPublishFor.add(failing);

    const error = await run(fake, { maxNumberOfMessages: 10, lanes: 1 }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('RunIncomplete');
    expect(fake.deletedIds).not.toContain(failing);
    // Its batch is still held (its lease alive) until the worker lets it go; it is never deleted.
    expect(fake.held).toBe(1);
    // The invalid neighbour is still dropped: one bad batch never blocks the other's fate.
    expect(fake.deletedIds).toHaveLength(1);
  });

  it('continuous mode keeps polling after empty receives until its deadline, and consumes what arrives meanwhile', async () => {
    const fake = pipeline();
    const late = validSubmission({ processes: 1, connections: 1 });
    // Empty receives first; the submission arrives while the lane is listening.
    fake.beforeReceive = (n) => {
      if (n === 4) fake.send(asBase64(late));
    };
    const startedAt = Date.now();

    const summary = await run(fake, { lanes: 1, runBudgetSeconds: 5, idleWaitSeconds: 3, receiveWaitSeconds: 0 });

    expect(summary.lanes).toEqual(['run-budget-spent']);
    expect(summary).toMatchObject({ received: 1, valid: 1, eventsPublished: 2, deleted: 1 });
    expect(fake.stream).toHaveLength(2);
    // It kept polling after the message too, until the budget: many more receives than the four before it.
    expect(fake.receives.length).toBeGreaterThan(6);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(5000);
    // First receives long-poll idleWaitSeconds, never past the deadline (the last ones wait less).
    const waits = fake.receives.map((r) => r.waitTimeSeconds);
    expect(waits[0]).toBe(3);
    expect(waits.every((w) => w >= 1 && w <= 3)).toBe(true);
  }, 60_000);

  it('continuous mode: at light load one lane receives at a time, every lane while a backlog lasts', async () => {
    const fake = pipeline();
    for (let i = 0; i < 30; i++) fake.send(asBase64(validSubmission({ processes: 1, connections: 0 })));

    const summary = await run(fake, {
      lanes: 3,
      maxNumberOfMessages: 2,
      receivesPerBatch: 1,
      gatherMilliseconds: 0,
      runBudgetSeconds: 5,
      idleWaitSeconds: 1,
    });

    expect(summary).toMatchObject({ received: 30, deleted: 30 });
    // The backlog (full answers) brought the other lanes in: receives ran side by side.
    expect(Math.max(...fake.receivesRunning)).toBeGreaterThan(1);
    // Once the queue was empty one lane listened at a time; every lane ran to the run's budget.
    expect(fake.receivesRunning.slice(-5)).toEqual([1, 1, 1, 1, 1]);
    expect(summary.lanes).toEqual(['run-budget-spent', 'run-budget-spent', 'run-budget-spent']);
  });

  it("at light load one delete step serves several batches: once a request's worth waits, or the lane goes quiet", async () => {
    const fake = pipeline();
    // A trickle: one submission arrives before each of the first seven receives.
    fake.beforeReceive = (n) => {
      if (n <= 7) fake.send(asBase64(validSubmission({ processes: 1, connections: 0 })));
    };

    const summary = await run(fake, {
      lanes: 1,
      maxNumberOfMessages: 3,
      receivesPerBatch: 1,
      gatherMilliseconds: 0,
      runBudgetSeconds: 5,
      idleWaitSeconds: 1,
    });

    expect(summary).toMatchObject({ batches: 7, received: 7, deleted: 7 });
    // Three batches of one message fill a DeleteMessageBatch request (3); the seventh leaves when the queue is empty.
    expect(fake.deleteRequests.map((ids) => ids.length)).toEqual([3, 3, 1]);
    expect(fake.held).toBe(0);
  });

  it('deletes what every lane holds once the queue goes quiet, not at the end of the run', async () => {
    const fake = pipeline();
    fake.beforeReceive = (n) => {
      if (n <= 5) fake.send(asBase64(validSubmission({ processes: 1, connections: 0 })));
    };

    const summary = await run(fake, { lanes: 2, gatherMilliseconds: 0, runBudgetSeconds: 6, idleWaitSeconds: 1 });

    expect(summary).toMatchObject({ received: 5, deleted: 5 });
    // All five left the queue while the lanes were still listening (many quiet receives came after).
    const deletedBefore = fake.steps.slice(0, fake.steps.lastIndexOf('receive') - 5).filter((s) => s === 'delete-end');
    expect(deletedBefore.length).toBe(fake.deleteRequests.length);
  });

  it('passes the run input gatherMilliseconds to every receive', async () => {
    const fake = pipeline();
    fake.send(asBase64(validSubmission()));

    await run(fake, { mode: 'drain', lanes: 1, gatherMilliseconds: 750 });

    expect(fake.receives.map((r) => r.gatherMs)).toEqual([750, 750]);
  });

  it('drain mode stops each lane at its first empty receive', async () => {
    const fake = pipeline();
    fake.beforeReceive = (n) => {
      if (n === 2) fake.send(asBase64(validSubmission()));
    };

    const summary = await run(fake, { mode: 'drain', lanes: 1, receiveWaitSeconds: 2, idleWaitSeconds: 20 });

    expect(summary.lanes).toEqual(['queue-empty']);
    expect(summary.received).toBe(0);
    expect(fake.receives.map((r) => r.waitTimeSeconds)).toEqual([2]);
    expect(fake.stream).toHaveLength(0);
  });

  it('rejects an invalid run input with a non-retryable, readable failure', async () => {
    const error = await run(pipeline(), { maxNumberOfMessages: 11, lanes: 0 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidDrainInput');
    expect(cause.message).toMatch(/maxNumberOfMessages/);
    expect(cause.message).toMatch(/lanes/);
  });

  it('abandons a batch whose worker no longer holds it: nothing deleted, the lane goes on, the run completes', async () => {
    const fake = pipeline();
    fake.lostBatches = true;
    for (let i = 0; i < 3; i++) fake.send(asBase64(validSubmission()));

    const summary = await run(fake, { mode: 'drain', maxNumberOfMessages: 10, lanes: 1 });

    expect(summary).toMatchObject({ received: 3, abandonedMessages: 3, deleted: 0, eventsPublished: 0, failures: [] });
    expect(summary.lanes).toEqual(['queue-empty']);
    expect(fake.deletedIds).toHaveLength(0);
    expect(fake.stream).toHaveLength(0);
  });

  it('keeps telemetry out of history: no field value of any submission in any payload, failure or query answer', async () => {
    const fake = pipeline();
    const marker = `MARKER-${Math.random().toString(36).slice(2)}`;
    const doc = validSubmission({ processes: 2, connections: 1 });
    doc.events.new_process[0] = { cmdl: `powershell -enc ${marker}`, user: `CORP\\${marker}-user` };
    fake.send(asBase64(doc));
    fake.send(asBase64({ ...validSubmission(), submission_id: `not-an-uuid-${marker}` }));
    fake.send(asBase64({ ...validSubmission(), [`field_${marker}`]: marker }));
    const workflowId = uniqueName('g8');

    await run(fake, { mode: 'drain', lanes: 1 }, workflowId);

    const handle = env.client.workflow.getHandle(workflowId);
    const history = await handle.fetchHistory();
    const payloads = collectPayloads(history);
    expect(payloads.length).toBeGreaterThan(8);
    const decoded = (await decodeTestPayloads(payloads))
      .map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'))
      .join('\n');
    const raw = JSON.stringify(history);
    // The decoder worked (the run's own counts are there), and nothing of the submissions is, decoded or not.
    expect(decoded).toContain('"eventsPublished"');
    for (const value of [marker, doc.device_id, doc.submission_id, doc.events.network_connection[0]?.destination_ip]) {
      expect(decoded).not.toContain(value);
      expect(raw).not.toContain(value);
    }
  });
});

/** Every payload of a history, wherever it sits (inputs, results, failures' details, heartbeats, memo, attributes). */
function collectPayloads(value: unknown, found: Payload[] = []): Payload[] {
  if (Array.isArray(value)) {
    for (const item of value) collectPayloads(item, found);
  } else if (typeof value === 'object' && value !== null) {
    if ('metadata' in value && 'data' in value && value.data instanceof Uint8Array) found.push(value as Payload);
    else for (const item of Object.values(value)) collectPayloads(item, found);
  }
  return found;
}
