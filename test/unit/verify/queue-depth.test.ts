import type { ServiceOutputTypes } from '@aws-sdk/client-sqs';
import { isDrained, QueueDepthUnavailableError, readQueueDepth } from '../../../tools/verify';
import { queueDepth } from '../../helpers/aws';
import { stubbedSqs } from '../../helpers/stub-sqs';

const QUEUE = 'http://sqs.us-east-1.localhost:9324/000000000000/q';
const FULL = {
  ApproximateNumberOfMessages: '3',
  ApproximateNumberOfMessagesNotVisible: '2',
  ApproximateNumberOfMessagesDelayed: '1',
};

const answering = (Attributes: Record<string, string> | undefined) =>
  stubbedSqs('GetQueueAttributesCommand', (): ServiceOutputTypes => ({ $metadata: {}, Attributes })).sqs;

describe('queue depth (verifier and test helper)', () => {
  it('reads the three counts', async () => {
    await expect(readQueueDepth(answering(FULL), QUEUE)).resolves.toEqual({ visible: 3, notVisible: 2, delayed: 1 });
    await expect(queueDepth(answering(FULL), QUEUE)).resolves.toEqual({ visible: 3, inFlight: 2 });
    const empty = { ...FULL, ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' };
    expect(isDrained(await readQueueDepth(answering({ ...empty, ApproximateNumberOfMessages: '0' }), QUEUE))).toBe(
      true,
    );
  });

  it.each(Object.keys(FULL))('treats a missing %s as an error, never as an empty queue', async (name) => {
    const partial = Object.fromEntries(Object.entries(FULL).filter(([k]) => k !== name));
    await expect(readQueueDepth(answering(partial), QUEUE)).rejects.toThrow(
      new QueueDepthUnavailableError(
        `queue depth of ${QUEUE} unavailable (${name}: Invalid input: expected string, received undefined)`,
      ),
    );
  });

  it('treats an answer without attributes or with a garbled count as an error', async () => {
    await expect(readQueueDepth(answering(undefined), QUEUE)).rejects.toBeInstanceOf(QueueDepthUnavailableError);
    await expect(readQueueDepth(answering({ ...FULL, ApproximateNumberOfMessages: 'many' }), QUEUE)).rejects.toThrow(
      /ApproximateNumberOfMessages: must be a count/,
    );
    await expect(queueDepth(answering(undefined), QUEUE)).rejects.toThrow(
      'GetQueueAttributes: ApproximateNumberOfMessages missing or not a count',
    );
    await expect(
      queueDepth(answering({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '' }), QUEUE),
    ).rejects.toThrow('GetQueueAttributes: ApproximateNumberOfMessagesNotVisible missing or not a count');
  });
});
