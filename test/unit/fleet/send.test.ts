import { generateSubmissions, type FleetOptions } from '../../../src/fleet/generate';
import { expectedEventId } from '../../../src/fleet/event-id';
import { parseManifest } from '../../../src/fleet/manifest';
import { MAX_BATCH_BYTES, planBatches, toManifestEntry } from '../../../src/fleet/send';

const base: FleetOptions = {
  seed: 1,
  devices: 3,
  brokenShare: 0.3,
  eventsMin: 3,
  eventsMax: 5,
  plainJsonShare: 0.1,
  startTimeMs: Date.parse('2026-11-28T12:00:00Z'),
};

describe('fleet sender planning', () => {
  it('batches at most 10 entries and 256 KiB, oversized bodies alone, order kept', () => {
    const subs = [
      ...generateSubmissions(base, 95),
      ...generateSubmissions({ ...base, seed: 2, brokenShare: 1, brokenClasses: ['oversized_body'] }, 3),
      ...generateSubmissions({ ...base, seed: 3 }, 40),
    ];
    const batches = planBatches(subs);
    expect(batches.flat().map((s) => s.body)).toStrictEqual(subs.map((s) => s.body));
    for (const b of batches) {
      expect(b.length).toBeGreaterThanOrEqual(1);
      expect(b.length).toBeLessThanOrEqual(10);
      const bytes = b.reduce((n, s) => n + Buffer.byteLength(s.body), 0);
      if (b.length > 1) expect(bytes).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
    const oversized = batches.filter((b) => b.some((s) => s.status === 'broken' && s.brokenClass === 'oversized_body'));
    expect(oversized).toHaveLength(3);
    for (const b of oversized) expect(b).toHaveLength(1);
  });

  it('writes manifest entries that read back, with event ids from the message id', () => {
    const subs = generateSubmissions(base, 30);
    const lines = subs.map((planned, i) =>
      JSON.stringify(
        toManifestEntry(
          i === 5
            ? { ok: false, planned, code: 'InvalidMessageContents', message: 'x', definite: true }
            : { ok: true, planned, messageId: `msg-${i}`, sentAt: '2026-11-28T12:00:00.000Z' },
        ),
      ),
    );
    const { submissions, sendFailed } = parseManifest(lines.join('\n') + '\n');
    expect(submissions).toHaveLength(29);
    expect(sendFailed).toHaveLength(1);
    for (const s of submissions) {
      if (s.status === 'valid') expect(s.eventIds).toEqual(s.events.map((_, i) => expectedEventId(s.messageId, i)));
    }
  });

  it('derives event ids as uuid v5 of messageId/index in the shared namespace', () => {
    expect(expectedEventId('m-1', 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(expectedEventId('m-1', 0)).not.toBe(expectedEventId('m-1', 1));
    expect(expectedEventId('m-1', 0)).toBe(expectedEventId('m-1', 0));
  });
});
