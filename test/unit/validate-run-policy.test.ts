import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { recordsToPublish } from '../../activities/publish-records';
import { createValidateAndTransform } from '../../activities/validate-and-transform';
import { MAX_UNKNOWN_FIELD_LABELS, unknownFieldLabel } from '../../activities/metrics';
import { validationLimitsSchema } from '../../src/domain/limits';
import { addBounded, emptyTotals, recordUnknownFields } from '../../workflows/run-summary';
import { runActivity } from '../helpers/temporal';

/**
 * The validate activity judges by the run's policy and limits (request), not the worker's environment, so two workers
 * judge a redelivered message alike; unknown fields are counted for the run summary and sampled in the logs.
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
const message = (id: string, text: string) => ({ messageId: id, body: text, bodyBytes: Buffer.byteLength(text) });

describe('validateAndTransform with the run input', () => {
  // A worker started with a lower limit than the run's: the run's wins.
  const workerLimits = validationLimitsSchema.parse({ maxEventsPerSubmission: 1 });
  const validate = createValidateAndTransform({ limits: workerLimits, now: () => new Date('2026-01-01T00:00:00Z') });
  const request = {
    messages: [
      message('m1', body({ sensor_version: '7.2' }, { pid: 4 })),
      message('m2', body({ sensor_version: '7.3' })),
      message('m3', body()),
    ],
    partitionKey: 'device_id' as const,
    includeProvenance: false,
    limits: validationLimitsSchema.parse({}),
  };

  it('uses the run’s limits over the worker’s environment, and the worker’s when the run names none', async () => {
    const byRun = await runActivity(validate, [{ ...request, unknownFields: 'accept' }]);
    expect(byRun.valid).toHaveLength(3);
    const byWorker = await runActivity(validate, [{ ...request, limits: undefined }]);
    expect(byWorker.invalid.map((m) => m.reason)).toEqual(['too_many_events', 'too_many_events', 'too_many_events']);
    // The publish derives the records with the limits the verdict was given under, not its own worker's.
    expect(byRun.derivation.limits).toEqual(request.limits);
    expect(byWorker.derivation.limits).toEqual(workerLimits);
  });

  it('accepts and counts unknown fields, output unchanged, one log sample per batch', async () => {
    const entries: LogEntry[] = [];
    const env = new MockActivityEnvironment(undefined, {
      logger: new DefaultLogger('DEBUG', (entry) => entries.push(entry)),
    });
    const result = await runActivity(validate, [{ ...request, unknownFields: 'accept' }], env);
    expect(result.unknownFields).toEqual({
      submissions: 2,
      byPath: { sensor_version: 2, 'events.new_process[].pid': 1 },
    });
    // The records the publish derives for the upgraded submissions are those of the plain one (event ids aside).
    const derived = recordsToPublish({
      submissions: request.messages.map(({ messageId, body }, i) => ({
        messageId,
        body,
        events: result.valid[i]?.events ?? -1,
        sentAtMs: null,
      })),
      derivation: result.derivation,
    });
    const strip = (records: string[]) => records.map((r) => r.replace(/"event_id":"[^"]+",/, ''));
    const [upgraded, , plain] = derived.submissions;
    expect(upgraded?.records).toHaveLength(2);
    expect(strip(upgraded?.records ?? [])).toEqual(strip(plain?.records ?? []));
    const samples = entries.filter((e) => e.message.startsWith('unknown fields dropped'));
    expect(samples).toHaveLength(1);
    expect(samples[0]?.meta).toMatchObject({ messageId: 'm1', paths: ['sensor_version', 'events.new_process[].pid'] });
  });

  it('rejects them under the reject policy', async () => {
    const result = await runActivity(validate, [{ ...request, unknownFields: 'reject' }]);
    expect(result.invalid.map((m) => m.reason)).toEqual(['unknown_field', 'unknown_field']);
    expect(result.unknownFields).toBeUndefined();
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
