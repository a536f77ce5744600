import { generateSubmissions, type FleetOptions } from '../../../tools/fleet/generate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_ID_NAMESPACE as DOMAIN_NAMESPACE, eventIdFor } from '../../../src/domain/event-id';
import { EVENT_ID_NAMESPACE as FLEET_NAMESPACE, expectedEventId } from '../../../tools/fleet/event-id';
import { parseManifest } from '../../../tools/fleet/manifest';
import { MAX_BATCH_BYTES, planBatches, toManifestEntry } from '../../../tools/fleet/send';

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

  // Vectors from an independent implementation (Python: uuid.uuid5(UUID(namespace), "<message id>/<index>")).
  const VECTORS: [string, number, string][] = [
    ['m-1', 0, '737790a4-dcaf-5761-85a4-b2d3b9d6e323'],
    ['m-1', 1, 'e196ddc3-b216-5f35-b332-0c7f65b81e39'],
    ['0b7c2f4e-1d3a-4a57-9a0e-5c1f2d3e4f50', 0, '403ef29a-caba-5b1f-8bc4-ca11796afb12'],
    ['0b7c2f4e-1d3a-4a57-9a0e-5c1f2d3e4f50', 7, '76aa1c64-df6d-5e0c-8810-06344bf61fb0'],
  ];

  it('uses the namespace the contract documents, in the fleet and in the product alike', () => {
    const contract = readFileSync(join(__dirname, '../../../docs/contract.md'), 'utf8');
    const documented = /UUIDv5 of `<SQS message id>\/<event index>` in\s+namespace `([0-9a-f-]{36})`/.exec(
      contract,
    )?.[1];
    expect(documented).toBe('4e5a760c-74df-55cd-b7b4-c0b3ef8b7ad7');
    expect(FLEET_NAMESPACE).toBe(documented);
    expect(DOMAIN_NAMESPACE).toBe(documented);
  });

  it.each(VECTORS)('derives the known uuid v5 for %s/%i in the fleet and in the product', (messageId, index, id) => {
    expect(expectedEventId(messageId, index)).toBe(id);
    expect(eventIdFor(messageId, index)).toBe(id);
  });
});
