import { v5 as uuidv5 } from 'uuid';

// Fixed forever: changing it would give every replayed message new event ids and defeat downstream deduplication.
export const EVENT_ID_NAMESPACE = '4e5a760c-74df-55cd-b7b4-c0b3ef8b7ad7';

// docs/contract.md#output / G3: derived only from the SQS message id and the event's position in the output order, so a retry, a
// replay or a redelivery of the same message yields the same ids, while two events never share one.
export function eventIdFor(messageId: string, eventIndex: number): string {
  return uuidv5(`${messageId}/${eventIndex}`, EVENT_ID_NAMESPACE);
}

/** The SQS message attribute a dead-letter redrive sets (src/dlq/): the id a redriven copy's event ids derive from. */
export const ORIGINAL_MESSAGE_ID_ATTRIBUTE = 'OriginalMessageId';
