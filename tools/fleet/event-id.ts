import { v5 as uuidv5 } from 'uuid';

// The one fact shared with the product (docs/contract.md#output, G3): event_id = UUIDv5 of `${sqsMessageId}/${eventIndex}` in this
// namespace, eventIndex being the 0-based position in output order (new_process first, then network_connection).
export const EVENT_ID_NAMESPACE = '4e5a760c-74df-55cd-b7b4-c0b3ef8b7ad7';

export function expectedEventId(sqsMessageId: string, eventIndex: number): string {
  return uuidv5(`${sqsMessageId}/${eventIndex}`, EVENT_ID_NAMESPACE);
}
