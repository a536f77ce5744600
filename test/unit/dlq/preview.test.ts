import type { Message } from '@aws-sdk/client-sqs';
import { sendChunks } from '../../../src/dlq/copy-redrive';
import { escapeForTerminal, formatPreview, oldestAgeMs, previewMessage } from '../../../src/dlq/preview';

describe('dead-letter previews', () => {
  it('escapes everything a terminal could interpret, keeping printable ASCII', () => {
    expect(escapeForTerminal('a b\\c')).toBe('a b\\\\c');
    expect(escapeForTerminal('{"k":1}')).toBe('{\\"k\\":1}');
    expect(escapeForTerminal('\u001b[31mred\u0007')).toBe('\\x1b[31mred\\x07');
    expect(escapeForTerminal('x\u202Ey\n\t\r')).toBe('x\\u202ey\\n\\t\\r');
    expect(escapeForTerminal('é😀')).toBe('\\xe9\\u{1f600}');
  });

  it('shows a bounded head of the body, with size, receive count and age', () => {
    const message: Message = {
      MessageId: 'm-1',
      Body: 'é'.repeat(100),
      Attributes: { SentTimestamp: '1000', ApproximateReceiveCount: '6' },
    };
    const p = previewMessage(message, 5);
    // 5 bytes = two whole "é" and half of a third (decoded as U+FFFD, escaped).
    expect(p).toMatchObject({ id: 'm-1', receiveCount: 6, sizeBytes: 200, sentAtMs: 1000, truncated: true });
    expect(p.head).toBe('\\xe9\\xe9\\ufffd');
    expect(formatPreview(p, 91_000, true)).toBe('  m-1  receives=6  size=200B  age=1m30s  body="\\xe9\\xe9\\ufffd"…');
    expect(formatPreview(p, 91_000, false)).not.toContain('body=');
    expect(oldestAgeMs([p, { ...p, sentAtMs: 500 }, { ...p, sentAtMs: undefined }], 10_500)).toBe(10_000);
    expect(oldestAgeMs([], 1)).toBeUndefined();
  });

  it('groups sends within 10 entries and 256 KiB, a larger message alone', () => {
    const of = (bytes: number): Message => ({ Body: 'x'.repeat(bytes) });
    const sizes = (chunks: Message[][]) => chunks.map((c) => c.map((m) => m.Body?.length));
    expect(sizes(sendChunks(Array.from({ length: 23 }, () => of(1))))).toEqual([
      Array(10).fill(1),
      Array(10).fill(1),
      Array(3).fill(1),
    ]);
    expect(sizes(sendChunks([of(100_000), of(100_000), of(100_000), of(300_000), of(1)]))).toEqual([
      [100_000, 100_000],
      [100_000],
      [300_000],
      [1],
    ]);
  });
});
