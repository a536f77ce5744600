import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { payloadCodecs } from '../../../src/codec/data-converter';
import type { HistoryEventLike } from '../../../tools/bench/actions';
import { HistoryPayloadError, putRecordsRequestsOf } from '../../../tools/bench/history';

// Counts the benchmark reads from histories (the 2-worker row's PutRecords requests) go through the project's codecs:
// the workers write every payload compressed and encrypted (G8), so reading the bytes as JSON found nothing and
// reported 0 PutRecords.

const codecs = payloadCodecs({ encrypt: true, keyring: { activeKeyId: 'a', keys: new Map([['a', randomBytes(32)]]) } });

async function encode(value: unknown, chain: readonly PayloadCodec[]): Promise<Payload> {
  let payloads = [defaultPayloadConverter.toPayload(value)];
  for (const codec of chain) payloads = await codec.encode(payloads);
  const [encoded] = payloads;
  if (!encoded) throw new Error('codec returned nothing');
  return encoded;
}

/** One run: a publishEvents activity scheduled and completed with `result`. */
function publishRun(result: Payload | undefined): HistoryEventLike[] {
  return [
    { eventId: 5, activityTaskScheduledEventAttributes: { activityType: { name: 'publishEvents' } } },
    { eventId: 6, activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 1 } },
    {
      eventId: 7,
      activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: { payloads: result ? [result] : [] } },
    },
  ];
}

describe('putRecordsRequestsOf', () => {
  it('decodes compressed and encrypted publish results with the codecs and sums their counts', async () => {
    // Large enough to be compressed as well as encrypted (small payloads are only encrypted).
    const big = { putRecordsRequests: 40, padding: 'x'.repeat(2000) };
    const runs = [publishRun(await encode(big, codecs)), publishRun(await encode({ putRecordsRequests: 2 }, codecs))];
    await expect(putRecordsRequestsOf(runs, codecs)).resolves.toBe(42);
  });

  it('fails, never counts 0, when a result cannot be decoded', async () => {
    const encrypted = [publishRun(await encode({ putRecordsRequests: 3 }, codecs))];
    // Without the key (no codecs) the encrypted bytes are not a value.
    await expect(putRecordsRequestsOf(encrypted, [])).rejects.toThrow(HistoryPayloadError);
    const otherKey = payloadCodecs({
      encrypt: true,
      keyring: { activeKeyId: 'b', keys: new Map([['b', randomBytes(32)]]) },
    });
    await expect(putRecordsRequestsOf(encrypted, otherKey)).rejects.toThrow(/cannot be decoded/);
  });

  it('fails on a publish result without a count or without a payload', async () => {
    await expect(putRecordsRequestsOf([publishRun(await encode({}, codecs))], codecs)).rejects.toThrow(
      /no putRecordsRequests count/,
    );
    await expect(putRecordsRequestsOf([publishRun(undefined)], codecs)).rejects.toThrow(/no payload/);
  });
});
