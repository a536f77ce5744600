import { sendBatches } from '../../helpers/aws';

describe('sendBatches (test helper sending bodies to SQS)', () => {
  it('keeps each batch under SQS 1 MiB sum of bodies, so large bodies do not fail SendMessageBatch', () => {
    const large = 'x'.repeat(300_000);
    const batches = sendBatches([large, large, large, large, large, 'small']);
    expect(batches.map((b) => b.length)).toEqual([3, 3]);
    for (const batch of batches) {
      expect(batch.reduce((n, body) => n + Buffer.byteLength(body), 0)).toBeLessThanOrEqual(1024 * 1024);
    }
  });

  it('sends at most 10 bodies per batch, in order', () => {
    const bodies = Array.from({ length: 23 }, (_, i) => String(i));
    const batches = sendBatches(bodies);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(bodies);
  });
});
