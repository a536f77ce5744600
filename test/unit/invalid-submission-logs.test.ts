import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { MAX_DETAIL_LENGTH } from '../../src/domain/detail';
import { runActivity } from '../helpers/temporal';

// Sensors are hostile: what an invalid submission carries must not reach the logs whole (it may hold a stolen token,
// megabytes of padding or a forged log line). Only a bounded, escaped detail may.
describe('logs of invalid submissions', () => {
  it('carry a bounded, escaped detail, never the raw body', async () => {
    const entries: LogEntry[] = [];
    const env = new MockActivityEnvironment(undefined, {
      logger: new DefaultLogger('DEBUG', (entry) => entries.push(entry)),
    });
    const { validateAndTransform } = createActivities({
      sqs: new SQSClient({ region: 'us-east-1' }),
      kinesis: new KinesisClient({ region: 'us-east-1' }),
      queueUrl: 'http://127.0.0.1:9/000000000000/q',
      streamName: 's',
      limits: DEFAULT_VALIDATION_LIMITS,
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
    const result = await runActivity(
      validateAndTransform,
      [
        {
          messages: bodies.map((body, i) => ({ messageId: `m${i}`, body, bodyBytes: Buffer.byteLength(body) })),
          partitionKey: 'device_id',
          includeProvenance: false,
          unknownFields: 'reject',
        },
      ],
      env,
    );

    expect(result.invalid.map((m) => m.reason)).toEqual(['unknown_field', 'undecodable_body', 'invalid_uuid']);
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
