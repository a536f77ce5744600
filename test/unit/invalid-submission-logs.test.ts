import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { MAX_DETAIL_LENGTH } from '../../src/domain/detail';
import { heldIds, heldMessage, holdBatch } from '../helpers/held-batch';
import { activitiesOverSqs, stubbedSqs } from '../helpers/stub-sqs';
import { runActivity } from '../helpers/temporal';

// Sensors are hostile: what an invalid submission carries must not reach the logs whole (it may hold a stolen token,
// megabytes of padding or a forged log line). Only a bounded, escaped detail may.
describe('logs of invalid submissions', () => {
  const { sqs } = stubbedSqs('ChangeMessageVisibilityBatchCommand', () => ({ Successful: [], $metadata: {} }));
  const { validateSubmissions, hold } = activitiesOverSqs(sqs);
  afterAll(() => hold.close());

  it('carry a bounded, escaped detail, never the raw body; the result (history) carries reason codes only', async () => {
    const entries: LogEntry[] = [];
    const env = new MockActivityEnvironment(undefined, {
      logger: new DefaultLogger('DEBUG', (entry) => entries.push(entry)),
    });
    const secret = 'AKIAIOSFODNN7EXAMPLE';
    const bodies = [
      // A complete submission plus a hostile extra key: long, carrying a forged log line, its value a token.
      JSON.stringify({
        submission_id: '8be01974-0f15-4d4f-809f-257a6de4d3f9',
        device_id: '31980191-fa99-4768-8a7b-0e81397ca6ef',
        time_created: '2021-03-28T15:44:18.592840',
        events: {},
        [`\n{"level":"INFO","msg":"forged"}\n${'x'.repeat(5000)}`]: secret,
      }),
      // Not JSON at all: a token and padding.
      `token=${secret} ${'A'.repeat(20_000)}`,
      // A valid shape with one bad field, the secret next to it.
      JSON.stringify({
        submission_id: 'not-an-uuid',
        device_id: '31980191-fa99-4768-8a7b-0e81397ca6ef',
        time_created: '2021-03-28T15:44:18.592840',
        events: { new_process: [{ cmdl: `curl -H "Authorization: ${secret}"`, user: 'root' }] },
      }),
    ];
    const batchId = await holdBatch(
      hold,
      bodies.map((body, i) => heldMessage(`m${i}`, body)),
    );
    const result = await runActivity(
      validateSubmissions,
      [{ batchId, partitionKey: 'device_id', includeProvenance: false, unknownFields: 'reject' }],
      env,
    );

    expect(result).toMatchObject({ valid: 0, invalid: 3, events: 0 });
    expect(result.invalidSamples).toEqual([
      { messageId: 'm0', reason: 'unknown_field' },
      { messageId: 'm1', reason: 'undecodable_body' },
      { messageId: 'm2', reason: 'invalid_uuid' },
    ]);
    // What goes to Temporal's history: counts and codes, no body, no detail (it may quote the body).
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(JSON.stringify(result)).not.toContain('forged');
    // The bodies stay on this worker, with their verdicts, for the drop step's quarantine copy.
    expect(await heldIds(hold, batchId)).toEqual(['m0', 'm1', 'm2']);
    const dropped = entries.filter((e) => e.message === 'invalid submission dropped');
    expect(dropped).toHaveLength(3);
    for (const entry of dropped) {
      const detail = String(entry.meta?.detail);
      expect(detail.length).toBeLessThanOrEqual(MAX_DETAIL_LENGTH);
      expect(detail).not.toMatch(/[\n\r]/);
      if (entry.meta?.reason === 'unknown_field') expect(detail).toContain('\\u000a{"level"');
      const line = JSON.stringify(entry.meta);
      expect(line).not.toContain(secret);
      expect(line.length).toBeLessThan(1000);
    }
  });
});
