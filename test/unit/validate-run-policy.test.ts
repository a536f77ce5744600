import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { MessageHold, type HeldBatch } from '../../activities/message-hold';
import { MAX_UNKNOWN_FIELD_LABELS, unknownFieldLabel } from '../../activities/metrics';
import { createValidateSubmissions, MAX_INVALID_SAMPLES_PER_BATCH } from '../../activities/validate-submissions';
import { eventIdFor } from '../../src/domain/event-id';
import { validationLimitsSchema } from '../../src/domain/limits';
import { MAX_UNKNOWN_PATHS } from '../../src/domain/unknown-fields';
import { addBounded } from '../../src/contracts/bounded-counts';
import { emptyTotals, recordUnknownFields } from '../../workflows/run-summary';
import { heldMessage, holdBatch } from '../helpers/held-batch';
import { stubbedSqs } from '../helpers/stub-sqs';
import { runActivity } from '../helpers/temporal';

/**
 * The validate activity judges by the run's policy and limits (request), not the worker's environment, so two workers
 * judge a redelivered message alike; unknown fields are counted for the run summary (bounded) and sampled in the logs.
 */
const DEVICE_ID = '31980191-fa99-4768-8a7b-0e81397ca6ef';
const body = (extra: Record<string, unknown> = {}, entry: Record<string, unknown> = {}) =>
  JSON.stringify({
    submission_id: '8be01974-0f15-4d4f-809f-257a6de4d3f9',
    device_id: DEVICE_ID,
    time_created: '2021-03-28T15:44:18.592840',
    events: {
      new_process: [
        { cmdl: 'a', user: 'b', ...entry },
        { cmdl: 'c', user: 'd' },
      ],
    },
    ...extra,
  });

const PROCESSED_AT = new Date('2026-01-01T00:00:00Z');
// A worker started with a lower limit than the run's: the run's wins.
const workerLimits = validationLimitsSchema.parse({ maxEventsPerSubmission: 1 });
const runLimits = validationLimitsSchema.parse({});

let hold: MessageHold;
beforeEach(() => {
  const { sqs } = stubbedSqs('ChangeMessageVisibilityBatchCommand', () => ({ Successful: [], $metadata: {} }));
  hold = new MessageHold(
    { sqs, queueUrl: 'http://127.0.0.1:9/000000000000/q' },
    { maxBytes: 64 * 1024 * 1024, idleReleaseMs: 60_000 },
  );
});
afterEach(() => hold.close());

function validateActivity(now: () => Date = () => PROCESSED_AT) {
  return createValidateSubmissions({ hold, limits: workerLimits, now });
}

/** A fresh batch of the three sample submissions: m1 and m2 carry unknown fields, m3 is plain. */
function holdSamples(): Promise<string> {
  return holdBatch(hold, [
    heldMessage('m1', body({ sensor_version: '7.2' }, { pid: 4 })),
    heldMessage('m2', body({ sensor_version: '7.3' })),
    heldMessage('m3', body()),
  ]);
}

const settings = { partitionKey: 'device_id' as const, includeProvenance: false, limits: runLimits };

function heldBatch(batchId: string): Promise<HeldBatch> {
  return hold.use(batchId, (batch) => Promise.resolve(batch));
}

function recordsOf(batch: HeldBatch, messageId: string): string[] {
  const validation = batch.messages.get(messageId)?.validation;
  return validation?.valid ? validation.submission.records : [];
}

describe('validateSubmissions with the run input', () => {
  it('uses the run’s limits over the worker’s environment, and the worker’s when the run names none', async () => {
    const validate = validateActivity();
    const byRunBatch = await holdSamples();
    const byRun = await runActivity(validate, [{ ...settings, batchId: byRunBatch, unknownFields: 'accept' }]);
    expect(byRun).toMatchObject({ valid: 3, invalid: 0, events: 6 });

    const byWorkerBatch = await holdSamples();
    const byWorker = await runActivity(validate, [
      { ...settings, batchId: byWorkerBatch, unknownFields: 'accept', limits: undefined },
    ]);
    expect(byWorker).toMatchObject({ valid: 0, invalid: 3, invalidByReason: { too_many_events: 3 } });
    expect(byWorker.invalidSamples.map((m) => m.reason)).toEqual([
      'too_many_events',
      'too_many_events',
      'too_many_events',
    ]);

    // The records are derived here, once, under the run's limits: the publish sends what the batch holds.
    const batch = await heldBatch(byRunBatch);
    expect(recordsOf(batch, 'm3')).toHaveLength(2);
    const [first] = recordsOf(batch, 'm3');
    expect(JSON.parse(first ?? '{}')).toMatchObject({
      event_id: eventIdFor('m3', 0),
      device_id: DEVICE_ID,
      time_created: expect.stringContaining('2026-01-01') as string,
    });
  });

  it('accepts and counts unknown fields, output unchanged, one log sample per batch', async () => {
    const entries: LogEntry[] = [];
    const env = new MockActivityEnvironment(undefined, {
      logger: new DefaultLogger('DEBUG', (entry) => entries.push(entry)),
    });
    const batchId = await holdSamples();
    const result = await runActivity(validateActivity(), [{ ...settings, batchId, unknownFields: 'accept' }], env);

    expect(result.unknownFieldSubmissions).toBe(2);
    expect(result.unknownFieldsByPath).toEqual({ sensor_version: 2, 'events.new_process[].pid': 1 });
    // The records of the upgraded submissions are those of the plain one (event ids aside): the fields are dropped.
    const batch = await heldBatch(batchId);
    const strip = (records: string[]) => records.map((r) => r.replace(/"event_id":"[^"]+",/, ''));
    expect(recordsOf(batch, 'm1')).toHaveLength(2);
    expect(strip(recordsOf(batch, 'm1'))).toEqual(strip(recordsOf(batch, 'm3')));
    expect(recordsOf(batch, 'm1').join()).not.toMatch(/sensor_version|pid/);
    const samples = entries.filter((e) => e.message.startsWith('unknown fields dropped'));
    expect(samples).toHaveLength(1);
    expect(samples[0]?.meta).toMatchObject({ messageId: 'm1', paths: ['sensor_version', 'events.new_process[].pid'] });
  });

  it('rejects them under the reject policy', async () => {
    const batchId = await holdSamples();
    const result = await runActivity(validateActivity(), [{ ...settings, batchId, unknownFields: 'reject' }]);
    expect(result).toMatchObject({ valid: 1, invalid: 2, events: 2 });
    expect(result.invalidSamples).toEqual([
      { messageId: 'm1', reason: 'unknown_field' },
      { messageId: 'm2', reason: 'unknown_field' },
    ]);
    expect(result.unknownFieldSubmissions).toBe(0);
    expect(result.unknownFieldsByPath).toEqual({});
  });

  it('a retried attempt keeps the validations already made: same records, same times, whatever it is asked', async () => {
    let calls = 0;
    const validate = validateActivity(() => new Date(PROCESSED_AT.getTime() + 60_000 * calls++));
    const batchId = await holdSamples();
    const first = await runActivity(validate, [{ ...settings, batchId, unknownFields: 'accept' }]);
    const records = recordsOf(await heldBatch(batchId), 'm1');

    const again = await runActivity(validate, [{ ...settings, batchId, unknownFields: 'reject', limits: undefined }]);

    expect(again).toEqual(first);
    expect(recordsOf(await heldBatch(batchId), 'm1')).toEqual(records);
  });

  it('bounds what a batch reports: unknown-field paths (the rest under other) and invalid samples', async () => {
    // Three submissions with ten unknown fields each, thirty paths in all.
    const wide = (n: number) => body(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${n * 10 + i}`, 1])));
    const invalid = Array.from({ length: MAX_INVALID_SAMPLES_PER_BATCH + 2 }, (_, i) => heldMessage(`bad${i}`, '{'));
    const batchId = await holdBatch(hold, [0, 1, 2].map((n) => heldMessage(`w${n}`, wide(n))).concat(invalid));

    const result = await runActivity(validateActivity(), [{ ...settings, batchId, unknownFields: 'accept' }]);

    expect(result.unknownFieldSubmissions).toBe(3);
    expect(Object.keys(result.unknownFieldsByPath)).toHaveLength(MAX_UNKNOWN_PATHS + 1);
    expect(result.unknownFieldsByPath.other).toBe(30 - MAX_UNKNOWN_PATHS);
    expect(Object.values(result.unknownFieldsByPath).reduce((a, b) => a + b, 0)).toBe(30);
    expect(result.invalid).toBe(MAX_INVALID_SAMPLES_PER_BATCH + 2);
    expect(result.invalidSamples).toHaveLength(MAX_INVALID_SAMPLES_PER_BATCH);
    expect(result.invalidSamples[0]).toEqual({ messageId: 'bad0', reason: 'invalid_json' });
  });
});

describe('bounded unknown-field counts', () => {
  it('the run summary keeps at most 32 paths, the rest under other', () => {
    const totals = emptyTotals();
    for (let i = 0; i < 40; i++) recordUnknownFields(totals, { submissions: 1, byPath: { [`f${i}`]: 1 } });
    expect(totals.unknownFieldSubmissions).toBe(40);
    expect(Object.keys(totals.unknownFieldsByPath)).toHaveLength(33);
    expect(totals.unknownFieldsByPath.other).toBe(8);
    const counts: Record<string, number> = { a: 1 };
    addBounded(counts, 'a', 1, 2);
    addBounded(counts, 'b', 1);
    expect(counts).toEqual({ a: 3, other: 1 });
  });

  it('the metric labels at most MAX_UNKNOWN_FIELD_LABELS paths per process', () => {
    const labels = new Set(Array.from({ length: 100 }, (_, i) => unknownFieldLabel(`test_path_${i}`)));
    expect(labels.has('other')).toBe(true);
    expect(labels.size).toBeLessThanOrEqual(MAX_UNKNOWN_FIELD_LABELS + 1);
  });
});
