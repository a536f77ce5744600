import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import type { ReceivedBatch, ValidatedBatch } from '../../../src/contracts/batch-steps';
import { CompressionCodec } from '../../../src/codec/compression-codec';
import { dataConverterFor } from '../../../src/codec/data-converter';
import { EncryptionCodec, PayloadDecryptionError } from '../../../src/codec/encryption-codec';
import type { PayloadKeySettings } from '../../../src/codec/keys';
import { ENCODING_ENCRYPTED, METADATA_KEY_ID } from '../../../src/codec/metadata';
import {
  emptyTotals,
  recordFailure,
  recordInvalid,
  recordUnknownFields,
  type RunSummary,
} from '../../../workflows/run-summary';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const MARKER = 'cmd.exe /c whoami-MARKER-7f3a9c';

/** The payload the SDK's default converter writes for a value (JSON, `json/plain`), as the worker writes it. */
function toPayload(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

const messageId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** What history carries of a receive: the batch's reference and its size, never a body (G8). */
function sampleReceivedBatch(): ReceivedBatch {
  return {
    batchId: '6f1c2d0e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
    taskQueue: 'edr-preprocessor/worker-1-4242-1a2b3c4d',
    messages: 100,
    bodyBytes: 187_342,
    redelivered: 2,
  };
}

/**
 * A validate result at its bounds: ten invalid samples and unknown-field paths. The paths are what a sensor named its
 * fields: `unknownPath` puts sensor-chosen text into history, which the codec must hide like any other.
 */
function sampleValidatedBatch(unknownPath = 'sensor_version'): ValidatedBatch {
  const reasons = ['invalid_json', 'invalid_uuid', 'too_many_events'] as const;
  return {
    valid: 90,
    invalid: 10,
    events: 412,
    invalidByReason: { invalid_json: 4, invalid_uuid: 3, too_many_events: 3 },
    invalidSamples: Array.from({ length: 10 }, (_, i) => ({
      messageId: messageId(i),
      reason: reasons[i % 3] ?? 'invalid_json',
    })),
    unknownFieldSubmissions: 12,
    unknownFieldsByPath: Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [i === 0 ? unknownPath : `events.new_process[].field_${i}`, 1 + i]),
    ),
  };
}

/** The largest payload a run writes now: its summary with every bounded list full, built by the workflow's helpers. */
function sampleRunSummary(): RunSummary {
  const totals = emptyTotals();
  for (let batch = 0; batch < 40; batch++) {
    recordInvalid(totals, {
      byReason: { invalid_json: 2, invalid_uuid: 1 },
      samples: [0, 1, 2].map((i) => ({ messageId: messageId(batch * 3 + i), reason: 'invalid_json' })),
    });
    recordUnknownFields(totals, {
      submissions: 2,
      byPath: { [`events.new_process[].field_${batch}`]: 1, sensor_version: 1 },
    });
  }
  for (let i = 0; i < 20; i++) {
    recordFailure(totals, {
      step: 'publish',
      messages: 10,
      error: 'PutRecords made no progress in 8 rounds (10 entries failing: ProvisionedThroughputExceededException)',
    });
  }
  return { ...totals, lanes: ['queue-empty', 'queue-empty'], durationMs: 61_234 };
}

function encrypting(keys: Record<string, Buffer>, activeKeyId: string): PayloadKeySettings {
  return { encrypt: true, keyring: { activeKeyId, keys: new Map(Object.entries(keys)) } };
}

async function encode(settings: PayloadKeySettings, payloads: Payload[]): Promise<Payload[]> {
  let out = payloads;
  for (const codec of dataConverterFor(settings).payloadCodecs ?? []) out = await codec.encode(out);
  return out;
}

async function decode(settings: PayloadKeySettings, payloads: Payload[]): Promise<Payload[]> {
  let out = payloads;
  for (const codec of [...(dataConverterFor(settings).payloadCodecs ?? [])].reverse()) out = await codec.decode(out);
  return out;
}

function text(payload: Payload | undefined): string {
  return Buffer.from(payload?.data ?? []).toString('utf8');
}

function allBytes(payloads: Payload[]): Buffer {
  return Buffer.concat(
    payloads.flatMap((p) => [
      ...Object.values(p.metadata ?? {}).map((v) => Buffer.from(v ?? [])),
      Buffer.from(p.data ?? []),
    ]),
  );
}

describe('payload codec (compression + AES-256-GCM)', () => {
  const settings = encrypting({ a: keyA }, 'a');

  it('round-trips realistic payloads, small ones and empty ones', async () => {
    const originals = [
      toPayload(sampleReceivedBatch()),
      toPayload(sampleValidatedBatch()),
      toPayload(sampleRunSummary()),
      toPayload('receive 10 messages'),
      toPayload(undefined),
      { metadata: {}, data: new Uint8Array(0) },
    ];
    const encoded = await encode(settings, originals);
    expect(
      encoded.every((p) => Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() === ENCODING_ENCRYPTED),
    ).toBe(true);
    const decoded = await decode(settings, encoded);
    expect(decoded.map(text)).toEqual(originals.map(text));
    expect(decoded.map((p) => p.metadata)).toEqual(
      originals.map((p) =>
        Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? [])])),
      ),
    );
  });

  it('leaves no plaintext in the encoded bytes, not even a short string', async () => {
    // A sensor's unknown field named after a command line: the path reaches history in the validate result.
    const batch = sampleValidatedBatch(`events.new_process[].${MARKER}`);
    const originals = [toPayload(MARKER), toPayload({ records: [JSON.stringify({ cmdl: MARKER })] }), toPayload(batch)];
    const bytes = allBytes(await encode(settings, originals));
    expect(bytes.includes(MARKER)).toBe(false);
    expect(bytes.includes('json/plain')).toBe(false);
    expect(bytes.includes(Buffer.from(MARKER).toString('base64').slice(0, 16))).toBe(false);
    // the same check finds the marker in what the default converter alone writes
    expect(allBytes(originals).includes(MARKER)).toBe(true);
  });

  it('uses a fresh nonce for every payload', async () => {
    const [one, two] = await encode(settings, [toPayload(MARKER), toPayload(MARKER)]);
    expect(Buffer.from(one?.data ?? []).equals(Buffer.from(two?.data ?? []))).toBe(false);
  });

  it('rejects a payload with any byte flipped', async () => {
    const [encoded] = await encode(settings, [toPayload(sampleRunSummary())]);
    const data = Buffer.from(encoded?.data ?? []);
    for (const position of [0, 12, Math.floor(data.length / 2), data.length - 1]) {
      const tampered = Buffer.from(data);
      tampered[position] = (tampered[position] ?? 0) ^ 0x01;
      await expect(decode(settings, [{ ...encoded, data: tampered }])).rejects.toThrow(/failed authentication/);
    }
  });

  it('rejects a payload relabelled with another key id (the key id is authenticated)', async () => {
    const both = encrypting({ a: keyA, b: keyA }, 'a');
    const [encoded] = await encode(both, [toPayload(MARKER)]);
    const relabelled = { ...encoded, metadata: { ...encoded?.metadata, [METADATA_KEY_ID]: Buffer.from('b') } };
    await expect(decode(both, [relabelled])).rejects.toThrow(PayloadDecryptionError);
  });

  it('names an unknown key id clearly', async () => {
    const [encoded] = await encode(encrypting({ old: keyA }, 'old'), [toPayload(MARKER)]);
    const promise = decode(encrypting({ b: keyB }, 'b'), encoded ? [encoded] : []);
    await expect(promise).rejects.toThrow(PayloadDecryptionError);
    await expect(promise).rejects.toThrow(/key id "old", which is not configured \(known key ids: b\)/);
  });

  it('decodes history written with key A after the active key became B (rotation)', async () => {
    const writtenWithA = await encode(encrypting({ A: keyA }, 'A'), [toPayload({ step: 'before rotation' })]);
    const rotated = encrypting({ A: keyA, B: keyB }, 'B');
    const writtenWithB = await encode(rotated, [toPayload({ step: 'after rotation' })]);
    expect(Buffer.from(writtenWithB[0]?.metadata?.[METADATA_KEY_ID] ?? []).toString()).toBe('B');
    const decoded = await decode(rotated, [...writtenWithA, ...writtenWithB]);
    expect(decoded.map(text)).toEqual(['{"step":"before rotation"}', '{"step":"after rotation"}']);
    // without A, the old history is unreadable: the rotation needs both keys until old histories expire
    await expect(decode(encrypting({ B: keyB }, 'B'), writtenWithA)).rejects.toThrow(/key id "A"/);
  });

  it('with encryption off, compresses only and still decodes payloads encrypted earlier', async () => {
    const off: PayloadKeySettings = {
      encrypt: false,
      reason: 'turned off by PAYLOAD_ENCRYPTION=off',
      keyring: { activeKeyId: 'a', keys: new Map([['a', keyA]]) },
    };
    const earlier = await encode(settings, [toPayload(MARKER)]);
    const [now] = await encode(off, [toPayload(sampleRunSummary())]);
    expect(Buffer.from(now?.metadata?.[METADATA_ENCODING_KEY] ?? []).toString()).toBe('binary/brotli');
    expect((await decode(off, earlier)).map(text)).toEqual([JSON.stringify(MARKER)]);
  });

  it('passes payloads it did not write through unchanged (histories from before the codec)', async () => {
    const plain = toPayload({ written: 'before the codec' });
    expect(await decode(settings, [plain])).toEqual([plain]);
  });
});

describe('compression', () => {
  it('shrinks a run summary with its bounded lists full at least 3x', async () => {
    const original = toPayload(sampleRunSummary());
    const [compressed] = await new CompressionCodec().encode([original]);
    expect((compressed?.data?.length ?? 0) * 3).toBeLessThan(original.data?.length ?? 0);
  });

  it('leaves payloads too small to gain anything as they are', async () => {
    const small = toPayload('publish 3 events');
    expect(await new CompressionCodec().encode([small])).toEqual([small]);
  });
});

describe('EncryptionCodec construction', () => {
  it('refuses an active key id that is not among its keys', () => {
    expect(() => new EncryptionCodec(new Map([['a', keyA]]), 'b')).toThrow(RangeError);
  });
});
