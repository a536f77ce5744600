import type { PipelineActivities, ReceiveRequest } from '../../activities';

const unexpected = async (): Promise<never> => {
  throw new Error('not reached: the fake queue is empty');
};

/**
 * The activities of a run over an empty queue: every receive answers nothing (so each lane ends after one receive in
 * drain mode) and is passed to `onReceive`; any other step means the run did work it had no messages for.
 */
export function emptyQueueActivities(
  onReceive: (request: ReceiveRequest) => void = () => undefined,
): PipelineActivities {
  return {
    receiveSubmissions: async (request) => {
      onReceive(request);
      return { batchId: '', taskQueue: 'unused', messages: 0, bodyBytes: 0, redelivered: 0 };
    },
    validateSubmissions: unexpected,
    publishEvents: unexpected,
    deleteMessages: unexpected,
    dropInvalidSubmissions: unexpected,
  };
}
