import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type {
  PipelineActivities,
  PublishInput,
  ReceivedMessage,
  ReceiveRequest,
  RecordDerivation,
  TransformedBatchWithRecords,
  TransformRequest,
} from '../../activities';
import { transformSubmission } from '../../src/domain/transform-submission';
import { createValidateAndTransform } from '../../activities/validate-and-transform';
import { judgeMessage, verdictOf } from '../../activities/judge-submission';
import { recordsToPublish } from '../../activities/publish-records';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import type { DrainInputOverrides } from '../../workflows/drain-input';
import type { RunSummary } from '../../workflows/run-summary';
import { drainQueue } from '../../workflows';
import { connectTestEnv, testDataConverter, uniqueName, workflowBundle } from '../helpers/temporal';
import { asBase64, brokenBodies, validSubmission } from '../helpers/submissions';
import { publishedAll } from '../helpers/fake-activities';

/**
 * The workflow's orchestration against the real Temporal dev server, with in-memory queue and stream fakes in place
 * of the AWS activities (the real AWS activities are tested against the emulators elsewhere).
 */
class FakePipeline {
  readonly queue: { messageId: string; body: string }[] = [];
  readonly inFlight = new Map<string, string>();
  readonly stream: { messageId: string; data: string }[] = [];
  readonly deletedIds: string[] = [];
  failPublishFor = new Set<string>();
  /** Every receive request, in order; `beforeReceive` runs first (e.g. a submission arriving while a lane polls). */
  readonly receives: ReceiveRequest[] = [];
  beforeReceive: (receiveNumber: number) => void = () => undefined;
  /** Messages a receive hands back as deferred (held over the byte budget), one group each, like the real one. */
  deferLast = 0;
  /** What the fake did, in order (receive / delete start / delete end), to check which step waits for which. */
  readonly steps: string[] = [];
  deleteDelayMs = 0;
  publishDelayMs = 0;
  private publishing = 0;
  mostPublishingAtOnce = 0;
  failDeletes = false;
  /** Receipt handles whose visibility each publish was asked to keep extending, in publish order. */
  readonly publishLeases: string[][] = [];
  /** Answer receives as a worker of older code would: no verdicts even when asked (a rolling deploy). */
  receiveWithoutVerdicts = false;
  /** Batches the validate step judged (none while receives carry verdicts). */
  validations = 0;
  private readonly validate = createValidateAndTransform({ limits: DEFAULT_VALIDATION_LIMITS });

  send(body: string): string {
    const messageId = `m-${this.queue.length + this.inFlight.size + this.deletedIds.length}-${Math.random()}`;
    this.queue.push({ messageId, body });
    return messageId;
  }

  activities(): PipelineActivities {
    return {
      receiveSubmissions: async (request) => {
        this.receives.push(request);
        this.steps.push('receive');
        this.beforeReceive(this.receives.length);
        // An empty queue answers after a short poll, as a long poll would (shortened: the test measures no latency).
        if (this.queue.length === 0) await sleep(100);
        const taken = this.queue.splice(0, request.maxNumberOfMessages * request.receives);
        const messages: ReceivedMessage[] = taken.map((m) => {
          this.inFlight.set(m.messageId, m.body);
          return {
            messageId: m.messageId,
            receiptHandle: `rh-${m.messageId}`,
            body: m.body,
            bodyBytes: Buffer.byteLength(m.body),
            sentAtMs: null,
            receiveCount: 1,
            receivedAtMs: Date.now(),
          };
        });
        const kept = messages.length - Math.min(this.deferLast, Math.max(0, messages.length - 1));
        const deferred = messages.slice(kept).map((m) => ({ messages: [m], payloadBytes: m.bodyBytes }));
        const batch = { messages: messages.slice(0, kept), releasedOverBudget: 0, deferred };
        if (!request.verdicts || this.receiveWithoutVerdicts) return batch;
        // Judged as the real receive judges (activities/receive-submissions.ts), with the run's settings.
        const derivation: RecordDerivation = {
          processedAt: new Date().toISOString(),
          partitionKey: request.partitionKey ?? 'device_id',
          includeProvenance: request.includeProvenance ?? false,
          unknownFields: request.unknownFields ?? 'accept',
          limits: request.limits ?? DEFAULT_VALIDATION_LIMITS,
        };
        for (const m of messages) m.verdict = verdictOf(judgeMessage(m, derivation));
        return { ...batch, derivation };
      },
      validateAndTransform: (request) => {
        this.validations += 1;
        return this.validate(request);
      },
      publishEvents: async (input) => {
        const request = recordsToPublish(input);
        this.publishLeases.push(request.lease?.messages.map((m) => m.receiptHandle) ?? []);
        this.publishing += 1;
        this.mostPublishingAtOnce = Math.max(this.mostPublishingAtOnce, this.publishing);
        await new Promise((resolve) => setTimeout(resolve, this.publishDelayMs));
        this.publishing -= 1;
        if (request.submissions.some((s) => this.failPublishFor.has(s.messageId))) {
          throw ApplicationFailure.nonRetryable('stream unavailable (fake)', 'ResourceNotFoundException');
        }
        for (const s of request.submissions) {
          for (const data of s.records) this.stream.push({ messageId: s.messageId, data });
        }
        return publishedAll(request);
      },
      deleteMessages: async (request) => {
        this.steps.push('delete-start');
        await new Promise((resolve) => setTimeout(resolve, this.deleteDelayMs));
        if (this.failDeletes) throw ApplicationFailure.nonRetryable('queue unavailable (fake)', 'AccessDenied');
        this.steps.push('delete-end');
        return this.delete(request.messages);
      },
      dropInvalidSubmissions: async (request) => {
        this.dropped.push(...request.messages.map((m) => ({ messageId: m.messageId, reason: m.reason, body: m.body })));
        return { ...this.delete(request.messages), quarantined: 0, notQuarantined: 0 };
      },
    };
  }

  readonly dropped: { messageId: string; reason: string; body: string | null }[] = [];

  private delete(messages: { messageId: string; receiptHandle: string }[]) {
    for (const m of messages) {
      expect(m.receiptHandle).toBe(`rh-${m.messageId}`);
      this.inFlight.delete(m.messageId);
      this.deletedIds.push(m.messageId);
    }
    return { deleted: messages.length, retriedEntries: 0, staleReceipts: [] };
  }
}

// Each case bundles nothing (the bundle is shared) but runs a real workflow on the dev server: seconds under load.
jest.setTimeout(60_000);

describe('drainQueue workflow', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  // `activities`: any implementation the worker registers (older result shapes included), the fake's by default.
  async function run(
    pipeline: FakePipeline,
    input: DrainInputOverrides,
    activities: object = pipeline.activities(),
  ): Promise<RunSummary> {
    const taskQueue = uniqueName('drain-test');
    const worker = await Worker.create({
      dataConverter: testDataConverter(),
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
    });
    return worker.runUntil(
      env.client.workflow.execute(drainQueue, { taskQueue, workflowId: uniqueName('drain'), args: [input] }),
    );
  }

  it('drains every batch, publishes valid submissions in order and deletes every message', async () => {
    const pipeline = new FakePipeline();
    const valid = Array.from({ length: 23 }, () => validSubmission({ processes: 2, connections: 3 }));
    const validIds = valid.map((doc) => pipeline.send(asBase64(doc)));
    pipeline.send(brokenBodies.badSubmissionId());
    pipeline.send(brokenBodies.nullCmdl());
    pipeline.send(brokenBodies.badDestinationIp());
    pipeline.send(brokenBodies.notJson());

    const summary = await run(pipeline, { mode: 'drain', maxNumberOfMessages: 3, receivesPerBatch: 2, lanes: 3 });

    expect(summary).toMatchObject({ received: 27, valid: 23, invalid: 4, eventsPublished: 23 * 5, deleted: 27 });
    expect(summary.invalidByReason).toEqual({ invalid_uuid: 1, wrong_type: 1, invalid_ipv4: 1, undecodable_body: 1 });
    expect(summary.invalidSamples).toHaveLength(4);
    // Invalid submissions are dropped with their original body and reason (for the optional quarantine queue).
    expect(pipeline.dropped.map((d) => d.reason).sort()).toEqual([
      'invalid_ipv4',
      'invalid_uuid',
      'undecodable_body',
      'wrong_type',
    ]);
    expect(pipeline.dropped.find((d) => d.reason === 'undecodable_body')?.body).toBe(brokenBodies.notJson());
    expect(summary.lanes).toEqual(['queue-empty', 'queue-empty', 'queue-empty']);
    expect(summary.batches).toBe(5);
    // Every receive asked for verdicts and carried them: no batch went through a separate validate step.
    expect(pipeline.receives.every((r) => r.verdicts === true)).toBe(true);
    expect(pipeline.validations).toBe(0);
    expect(pipeline.queue).toHaveLength(0);
    expect(pipeline.inFlight.size).toBe(0);
    for (const id of validIds) {
      const types = pipeline.stream
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

  it('validates batches whose receive came back without verdicts (a worker of older code), with the same outcome', async () => {
    const pipeline = new FakePipeline();
    pipeline.receiveWithoutVerdicts = true;
    const ids = Array.from({ length: 5 }, () =>
      pipeline.send(asBase64(validSubmission({ processes: 1, connections: 2 }))),
    );
    pipeline.send(brokenBodies.badSubmissionId());
    pipeline.send(asBase64({ ...validSubmission(), sensor_build: 'x' }));

    const summary = await run(pipeline, {
      mode: 'drain',
      maxNumberOfMessages: 4,
      receivesPerBatch: 1,
      lanes: 1,
      unknownFields: 'reject',
    });

    expect(summary).toMatchObject({ received: 7, valid: 5, invalid: 2, eventsPublished: 15, deleted: 7 });
    expect(summary.invalidByReason).toEqual({ invalid_uuid: 1, unknown_field: 1 });
    expect(pipeline.validations).toBe(2);
    for (const id of ids) expect(pipeline.stream.filter((r) => r.messageId === id)).toHaveLength(3);
  });

  it("takes the receive's verdicts as they are, unknown fields counted under the run's policy", async () => {
    const pipeline = new FakePipeline();
    pipeline.send(asBase64({ ...validSubmission({ processes: 1, connections: 0 }), sensor_build: 'x' }));
    pipeline.send(asBase64(validSubmission({ processes: 1, connections: 0 })));

    const summary = await run(pipeline, { mode: 'drain', lanes: 1 });

    expect(summary).toMatchObject({ received: 2, valid: 2, invalid: 0, eventsPublished: 2, deleted: 2 });
    expect(summary).toMatchObject({ unknownFieldSubmissions: 1, unknownFieldsByPath: { sensor_build: 1 } });
    expect(pipeline.receives[0]).toMatchObject({ verdicts: true, unknownFields: 'accept' });
    expect(pipeline.validations).toBe(0);
  });

  it('publishes the records of a validate result written by older code as that code did (a run open during a deploy)', async () => {
    const pipeline = new FakePipeline();
    // Older code validated separately: its receives carried no verdicts.
    pipeline.receiveWithoutVerdicts = true;
    const ids = Array.from({ length: 3 }, () => pipeline.send(asBase64(validSubmission())));
    pipeline.send(brokenBodies.notJson());
    const fake = pipeline.activities();
    const recordsOf = new Map<string, string[]>();
    const publishInputs: PublishInput[] = [];
    // The validate result of the code before verdicts: the records themselves, no derivation.
    const legacyValidate = async (request: TransformRequest): Promise<TransformedBatchWithRecords> => {
      const batch: TransformedBatchWithRecords = { valid: [], invalid: [] };
      for (const { messageId, body } of request.messages) {
        const result = transformSubmission(body ?? '', {
          messageId,
          processedAt: new Date(0),
          includeProvenance: false,
          partitionKeyField: 'device_id',
        });
        if (!result.valid) {
          batch.invalid.push({ messageId, reason: result.reason, detail: result.detail });
          continue;
        }
        recordsOf.set(messageId, result.records);
        const { submissionId, deviceId, partitionKey, records } = result;
        batch.valid.push({ messageId, submissionId, deviceId, partitionKey, records });
      }
      return batch;
    };
    const summary = await run(
      pipeline,
      { mode: 'drain', lanes: 1 },
      {
        ...fake,
        validateAndTransform: legacyValidate,
        publishEvents: (input: PublishInput) => {
          publishInputs.push(input);
          return fake.publishEvents(input);
        },
      },
    );

    expect(summary).toMatchObject({ received: 4, valid: 3, invalid: 1, eventsPublished: 12, deleted: 4 });
    // The publish input carried those records, as the older workflow code scheduled it.
    expect(publishInputs.every((input) => !('derivation' in input))).toBe(true);
    for (const id of ids) {
      expect(pipeline.stream.filter((r) => r.messageId === id).map((r) => r.data)).toEqual(recordsOf.get(id));
    }
  });

  it('publishes the groups deferred over the byte budget together with their batch, each under its own lease', async () => {
    const pipeline = new FakePipeline();
    pipeline.deferLast = 2;
    pipeline.publishDelayMs = 1_000;
    const ids = Array.from({ length: 4 }, () => pipeline.send(asBase64(validSubmission())));

    const summary = await run(pipeline, { mode: 'drain', maxNumberOfMessages: 4, receivesPerBatch: 1, lanes: 1 });

    expect(summary).toMatchObject({ received: 4, valid: 4, deleted: 4, batches: 3, deferredOverBudget: 2 });
    const rh = (i: number): string => `rh-${ids[i] ?? ''}`;
    // A deferred large submission no longer waits for the publish before it: all three were in flight at once.
    expect(pipeline.mostPublishingAtOnce).toBe(3);
    expect([...pipeline.publishLeases].sort()).toEqual([[rh(0), rh(1)], [rh(2)], [rh(3)]].sort());
    expect(pipeline.inFlight.size).toBe(0);
  });

  it('receives the next batch while the published batch is still being deleted', async () => {
    const pipeline = new FakePipeline();
    pipeline.deleteDelayMs = 1_500;
    for (let i = 0; i < 2; i++) pipeline.send(asBase64(validSubmission()));

    const summary = await run(pipeline, { mode: 'drain', maxNumberOfMessages: 1, receivesPerBatch: 1, lanes: 1 });

    expect(summary).toMatchObject({ received: 2, deleted: 2, lanes: ['queue-empty'] });
    // The second receive starts before the first delete ends; the run still ends only after every delete.
    expect(pipeline.steps).toEqual([
      'receive',
      'delete-start',
      'receive',
      'delete-end',
      'delete-start',
      'receive',
      'delete-end',
    ]);
    expect(pipeline.inFlight.size).toBe(0);
  });

  it('stops a lane whose background delete failed, and fails the run visibly', async () => {
    const pipeline = new FakePipeline();
    pipeline.failDeletes = true;
    for (let i = 0; i < 3; i++) pipeline.send(asBase64(validSubmission()));

    const error = await run(pipeline, { mode: 'drain', maxNumberOfMessages: 1, receivesPerBatch: 1, lanes: 1 }).catch(
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('RunIncomplete');
    // The lane noticed the failure before taking a third batch; nothing was deleted.
    expect(pipeline.receives.length).toBeLessThanOrEqual(2);
    expect(pipeline.deletedIds).toHaveLength(0);
  });

  it('never deletes a message whose events were not all published, and fails the run visibly', async () => {
    const pipeline = new FakePipeline();
    const failing = pipeline.send(asBase64(validSubmission()));
    pipeline.send(brokenBodies.notJson());
    pipeline.failPublishFor.add(failing);

    const error = await run(pipeline, { maxNumberOfMessages: 10, lanes: 1 }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('RunIncomplete');
    expect(pipeline.deletedIds).not.toContain(failing);
    expect(pipeline.inFlight.has(failing)).toBe(true);
    // The invalid neighbour is still dropped: one bad batch never blocks the other's fate.
    expect(pipeline.deletedIds).toHaveLength(1);
  });

  it('continuous mode keeps polling after empty receives until its deadline, and consumes what arrives meanwhile', async () => {
    const pipeline = new FakePipeline();
    const late = validSubmission({ processes: 1, connections: 1 });
    // Empty receives first; the submission arrives while the lane is listening.
    pipeline.beforeReceive = (n) => {
      if (n === 4) pipeline.send(asBase64(late));
    };
    const startedAt = Date.now();

    const summary = await run(pipeline, { lanes: 1, runBudgetSeconds: 5, idleWaitSeconds: 3, receiveWaitSeconds: 0 });

    expect(summary.lanes).toEqual(['run-budget-spent']);
    expect(summary).toMatchObject({ received: 1, valid: 1, eventsPublished: 2, deleted: 1 });
    expect(pipeline.stream).toHaveLength(2);
    // It kept polling after the message too, until the budget: many more receives than the four before it.
    expect(pipeline.receives.length).toBeGreaterThan(6);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(5000);
    // First receives long-poll idleWaitSeconds, never past the deadline (the last ones wait less).
    const waits = pipeline.receives.map((r) => r.waitTimeSeconds);
    expect(waits[0]).toBe(3);
    expect(waits.every((w) => w >= 1 && w <= 3)).toBe(true);
  }, 60_000);

  it('drain mode stops each lane at its first empty receive', async () => {
    const pipeline = new FakePipeline();
    pipeline.beforeReceive = (n) => {
      if (n === 2) pipeline.send(asBase64(validSubmission()));
    };

    const summary = await run(pipeline, { mode: 'drain', lanes: 1, receiveWaitSeconds: 2, idleWaitSeconds: 20 });

    expect(summary.lanes).toEqual(['queue-empty']);
    expect(summary.received).toBe(0);
    expect(pipeline.receives.map((r) => r.waitTimeSeconds)).toEqual([2]);
    expect(pipeline.stream).toHaveLength(0);
  });

  it('rejects an invalid run input with a non-retryable, readable failure', async () => {
    const error = await run(new FakePipeline(), { maxNumberOfMessages: 11, lanes: 0 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidDrainInput');
    expect(cause.message).toMatch(/maxNumberOfMessages/);
    expect(cause.message).toMatch(/lanes/);
  });
});
