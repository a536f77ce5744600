import { z } from 'zod';
import {
  createDevices,
  generateSubmissions,
  MAX_VALID_JSON_BYTES,
  sqsSafe,
  type FleetOptions,
} from '../../../tools/fleet/generate';
import { BROKEN_CLASSES } from '../../../tools/fleet/manifest';

const base: FleetOptions = {
  seed: 42,
  devices: 10,
  brokenShare: 0.096,
  eventsMin: 3,
  eventsMax: 5,
  plainJsonShare: 0.1,
  startTimeMs: Date.parse('2026-11-28T12:00:00Z'),
};

// The test's own reading of docs/contract.md#input, strict: independent of the product's validator and of the generator.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LOCAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})?$/;
const specSubmission = z.strictObject({
  submission_id: z.string().regex(UUID),
  device_id: z.string().regex(UUID),
  time_created: z.string().regex(LOCAL_ISO),
  events: z
    .strictObject({
      new_process: z.array(z.strictObject({ cmdl: z.string(), user: z.string() })).optional(),
      network_connection: z
        .array(
          z.strictObject({
            source_ip: z.string().regex(IPV4),
            destination_ip: z.string().regex(IPV4),
            destination_port: z.int().min(0).max(65535),
          }),
        )
        .optional(),
    })
    .optional(),
});

function decodeBody(body: string, encoding: 'base64' | 'json'): string {
  return encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
}

function specValid(text: string): boolean {
  if (Buffer.byteLength(text, 'utf8') > MAX_VALID_JSON_BYTES) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return false;
  }
  return specSubmission.safeParse(doc).success;
}

describe('fleet generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateSubmissions(base, 300);
    const b = generateSubmissions(base, 300);
    const c = generateSubmissions({ ...base, seed: 43 }, 300);
    expect(a).toEqual(b);
    expect(a.map((s) => s.body)).not.toEqual(c.map((s) => s.body));
    expect(createDevices(42, 10)).toEqual(createDevices(42, 10));
  });

  it('keeps device ids stable across other options', () => {
    const ids = (o: FleetOptions): Set<string> => new Set(generateSubmissions(o, 400).map((s) => s.deviceId));
    expect(ids({ ...base, brokenShare: 0.5, plainJsonShare: 1 })).toEqual(ids(base));
    expect(ids(base).size).toBe(10);
  });

  it('respects the broken share approximately', () => {
    const subs = generateSubmissions({ ...base, seed: 7 }, 5000);
    const share = subs.filter((s) => s.status === 'broken').length / subs.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.112);
    const plain = subs.filter((s) => s.encoding === 'json').length / subs.length;
    expect(plain).toBeGreaterThan(0.08);
    expect(plain).toBeLessThan(0.12);
  });

  it('generates every broken class, each invalid per docs/contract.md#input', () => {
    const subs = generateSubmissions({ ...base, brokenShare: 1, plainJsonShare: 0.5 }, 1500);
    const seen = new Set(subs.map((s) => (s.status === 'broken' ? s.brokenClass : 'valid')));
    expect([...seen].sort()).toEqual([...BROKEN_CLASSES].sort());
    for (const s of subs) {
      const text = decodeBody(s.body, s.encoding);
      if (specValid(text))
        throw new Error(`broken ${s.status === 'broken' ? s.brokenClass : ''} is valid: ${text.slice(0, 300)}`);
    }
  });

  it('sizes oversized bodies just above 256 KiB of raw JSON, within fauxqs and AWS message limits', () => {
    const subs = generateSubmissions({ ...base, brokenShare: 1, brokenClasses: ['oversized_body'] }, 20);
    for (const s of subs) {
      expect(s.jsonBytes).toBeGreaterThan(MAX_VALID_JSON_BYTES);
      expect(s.jsonBytes).toBeLessThan(MAX_VALID_JSON_BYTES + 1024);
      expect(Buffer.byteLength(s.body, 'utf8')).toBeLessThan(1_048_576);
      // Apart from its size the document is well-formed, so only the size limit can reject it.
      expect(specSubmission.safeParse(JSON.parse(decodeBody(s.body, s.encoding))).success).toBe(true);
    }
  });

  it('sends the asked share of near-limit submissions, valid, within the body limit in base64', () => {
    const planned = generateSubmissions({ ...base, plainJsonShare: 0, largeShare: 0.3, largeEvents: 1000 }, 300);
    const valid = planned.filter((s) => s.status === 'valid');
    const large = valid.filter((s) => s.events.length === 1000);
    expect(large.length / valid.length).toBeGreaterThan(0.2);
    expect(large.length / valid.length).toBeLessThan(0.4);
    for (const s of large) {
      expect(s.encoding).toBe('base64');
      expect(Buffer.byteLength(s.body)).toBeLessThanOrEqual(MAX_VALID_JSON_BYTES);
      expect(specSubmission.safeParse(JSON.parse(decodeBody(s.body, s.encoding))).success).toBe(true);
    }
    // Without the option the sequence of a seed is what it always was (recorded figures stay comparable).
    expect(generateSubmissions({ ...base, largeShare: 0 }, 50)).toEqual(generateSubmissions(base, 50));
  });

  it('makes valid submissions that satisfy docs/contract.md#input, with expected events in output order', () => {
    const subs = generateSubmissions({ ...base, brokenShare: 0, plainJsonShare: 0.3, emptyShare: 0.2 }, 2000);
    let networkFirst = 0;
    let noEvents = 0;
    let zoned = 0;
    const ports = new Set<number>();
    for (const s of subs) {
      if (s.status !== 'valid') throw new Error('unexpected broken');
      const text = decodeBody(s.body, s.encoding);
      expect(specValid(text)).toBe(true);
      const doc = specSubmission.parse(JSON.parse(text));
      expect(doc.device_id).toBe(s.deviceId);
      expect(doc.submission_id).toBe(s.submissionId);
      const np = doc.events?.new_process ?? [];
      const nc = doc.events?.network_connection ?? [];
      expect(s.events).toEqual([
        ...np.map((e) => ({ type: 'new_process', cmdl: e.cmdl, user: e.user, device_id: s.deviceId })),
        ...nc.map((e) => ({ type: 'network_connection', ...e, device_id: s.deviceId })),
      ]);
      for (const e of nc) {
        ports.add(e.destination_port);
        expect(e.source_ip).toMatch(/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/);
        expect(e.destination_ip).not.toMatch(/^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/);
      }
      for (const e of np) expect(e.cmdl.length).toBeLessThanOrEqual(8192);
      if (
        text.indexOf('"network_connection"') >= 0 &&
        text.indexOf('"network_connection"') < text.indexOf('"new_process"')
      ) {
        networkFirst++;
      }
      if (s.events.length === 0) noEvents++;
      if (/(Z|[+-]\d{2}:\d{2})$/.test(doc.time_created)) zoned++;
    }
    expect(networkFirst).toBeGreaterThan(100);
    expect(noEvents).toBeGreaterThan(20);
    expect(zoned).toBeGreaterThan(100);
    expect(ports.has(0)).toBe(true);
    expect(ports.has(65535)).toBe(true);
  });

  it('keeps plain-JSON bodies within the characters SQS (and fauxqs) accept', () => {
    const subs = generateSubmissions({ ...base, plainJsonShare: 1 }, 500);
    for (const s of subs) expect(s.body).not.toMatch(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/);
    expect(
      subs.some(
        (s) =>
          s.status === 'valid' &&
          s.events.some((e) => e.type === 'new_process' && /\p{Extended_Pictographic}/u.test(e.cmdl + e.user)),
      ),
    ).toBe(true);
    expect(JSON.parse(sqsSafe(JSON.stringify({ x: 'a🏖️b' })))).toEqual({ x: 'a🏖️b' });
  });
});
