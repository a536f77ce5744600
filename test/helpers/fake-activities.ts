import type { PipelineActivities, PublishRequest, PublishResult, ReceiveRequest } from '../../activities';

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
      return { messages: [], releasedOverBudget: 0 };
    },
    validateAndTransform: unexpected,
    publishEvents: unexpected,
    deleteMessages: unexpected,
    dropInvalidSubmissions: unexpected,
  };
}

/** What a fake publish that acknowledged every record of `request` in one PutRecords answers. */
export function publishedAll(request: PublishRequest): PublishResult {
  return {
    eventsPublished: request.submissions.reduce((n, s) => n + s.records.length, 0),
    submissions: request.submissions.length,
    putRecordsRequests: 1,
    retriedEntries: 0,
    resumedEvents: 0,
    leaseExtensions: 0,
  };
}
