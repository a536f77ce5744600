import { v5 as uuidv5, validate, version } from 'uuid';
import { EVENT_ID_NAMESPACE, eventIdFor } from '../../../src/domain';

describe('eventIdFor', () => {
  it('is a UUIDv5 of "<messageId>/<eventIndex>" in the fixed namespace', () => {
    const id = eventIdFor('message-1', 3);
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(5);
    expect(id).toBe(uuidv5('message-1/3', EVENT_ID_NAMESPACE));
  });

  it('is stable across calls (pinned values: changing them breaks downstream deduplication)', () => {
    // Literals computed once from docs/contract.md (UUIDv5 of "<id>/<index>" in its namespace), not by the code under test.
    const SQS_MESSAGE_ID = '059f36b4-87a3-44ab-83d2-661975830a7d';
    const PINNED = '487b2742-3779-5ddd-ab72-02a87226e2c4';
    expect([eventIdFor(SQS_MESSAGE_ID, 0), eventIdFor(SQS_MESSAGE_ID, 0)]).toEqual([PINNED, PINNED]);
    expect(eventIdFor('abc', 0)).toBe('88139450-be32-50e4-8944-f99de182bc75');
  });

  it('is distinct per index and per message', () => {
    const ids = new Set<string>();
    for (const message of ['m1', 'm2', 'm1/1', 'm']) {
      for (let index = 0; index < 100; index++) ids.add(eventIdFor(message, index));
    }
    // "m1/1" + index 0 vs "m1" + index "1/0" cannot collide: indexes are numbers, so 400 distinct inputs.
    expect(ids.size).toBe(400);
  });
});
