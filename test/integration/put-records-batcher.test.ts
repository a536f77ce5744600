import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createActivities, MessageHold } from '../../activities';
import { createPutRecordsBatcher, kinesisSender } from '../../src/publish/put-records-batcher';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { createTestStream, deleteTestStream, emulatorClients, readStream } from '../helpers/aws';
import { heldMessage, holdBatch } from '../helpers/held-batch';
import { injectPutRecordsFaults } from '../helpers/kinesis-faults';
import { runActivity, uniqueName } from '../helpers/temporal';

/**
 * Publish activities running side by side share one worker-level batcher against kinesis-local, with entries failing
 * at random: every record lands, in submission order (G2), and the rounds of different activities share requests.
 */
describe('PutRecords batcher against the Kinesis emulator', () => {
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let streamName: string;
  let hold: MessageHold;

  beforeEach(async () => {
    ({ sqs, kinesis } = emulatorClients());
    streamName = uniqueName('batcher-s');
    await createTestStream(kinesis, streamName, 2);
    hold = new MessageHold(
      { sqs, queueUrl: 'http://unused.invalid/queue' },
      { maxBytes: 64 * 1024 * 1024, idleReleaseMs: 60_000 },
    );
  });
  afterEach(async () => {
    hold.close();
    await deleteTestStream(kinesis, streamName);
  });

  it('publishes the submissions of concurrent activities in shared requests, in order, despite failing entries', async () => {
    // A fixed pseudo-random pattern: about a fifth of the entries fail, and one answer fails every entry.
    const faults = injectPutRecordsFaults(kinesis, {
      entryFault: (call, entry) =>
        (call * 7 + entry * 13) % 5 === 0
          ? (call + entry) % 2
            ? 'InternalFailure'
            : 'ProvisionedThroughputExceededException'
          : undefined,
      lieOnCalls: new Set([3]),
    });
    const batcher = createPutRecordsBatcher(kinesisSender(kinesis, streamName));
    const { publishEvents } = createActivities({
      sqs,
      kinesis,
      queueUrl: 'http://unused.invalid/queue',
      streamName,
      limits: DEFAULT_VALIDATION_LIMITS,
      retry: { initialBackoffMs: 1, maxBackoffMs: 5, maxRoundsWithoutProgress: 50 },
      putRecordsBatcher: batcher,
      hold,
    });
    // Four activities, each with one long submission (one record per round) and two short ones.
    const activities = Array.from({ length: 4 }, (_, a) => [
      { messageId: `long-${a}`, partitionKey: `device-${a}`, records: records(`long-${a}`, 40) },
      { messageId: `short-${a}-0`, partitionKey: `device-${a}`, records: records(`short-${a}-0`, 3) },
      { messageId: `short-${a}-1`, partitionKey: `device-${a + 4}`, records: records(`short-${a}-1`, 2) },
    ]);
    // Each activity publishes a batch this worker holds, its submissions already judged (records derived).
    const batchIds = await Promise.all(
      activities.map((submissions) =>
        holdBatch(
          hold,
          submissions.map((submission) =>
            heldMessage(submission.messageId, '', {
              validation: { valid: true, submission: { ...submission, sentAtMs: null } },
            }),
          ),
        ),
      ),
    );
    const results = await Promise.all(batchIds.map((batchId) => runActivity(publishEvents, [{ batchId }])));

    const expected = activities.flat();
    const total = expected.reduce((sum, s) => sum + s.records.length, 0);
    expect(results.reduce((sum, r) => sum + r.eventsPublished, 0)).toBe(total);
    expect(results.reduce((sum, r) => sum + r.retriedEntries, 0)).toBeGreaterThan(0);

    const onStream = await readStream(kinesis, streamName);
    expect(onStream).toHaveLength(total);
    for (const submission of expected) {
      const own = onStream
        .filter((r) => r.data.startsWith(`${submission.messageId}#`))
        .sort((x, y) => (BigInt(x.sequenceNumber) < BigInt(y.sequenceNumber) ? -1 : 1));
      expect(new Set(own.map((r) => r.shardId)).size).toBe(1);
      expect(own.map((r) => r.data)).toEqual(submission.records);
    }

    // Shared requests: far fewer than the activities' own requests (each activity needs 40+ rounds on its own).
    const sharedRequests = batcher.stats().requests;
    const ownRequests = results.reduce((sum, r) => sum + r.putRecordsRequests, 0);
    expect(faults.calls()).toBe(sharedRequests);
    expect(sharedRequests).toBeLessThan(ownRequests / 2);
  });
});

function records(messageId: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${messageId}#${String(i).padStart(3, '0')}`);
}
