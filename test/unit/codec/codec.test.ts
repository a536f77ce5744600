import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { CompressionCodec } from '../../../src/codec/compression-codec';
import { dataConverterFor } from '../../../src/codec/data-converter';
import { EncryptionCodec, PayloadDecryptionError } from '../../../src/codec/encryption-codec';
import type { PayloadKeySettings } from '../../../src/codec/keys';
import { ENCODING_ENCRYPTED, METADATA_KEY_ID } from '../../../src/codec/metadata';
import { sampleReceivedBatch, samplePublishRequest, toPayload } from '../../../tools/bench/sample-payloads';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const MARKER = 'cmd.exe /c whoami-MARKER-7f3a9c';

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
      toPayload(sampleReceivedBatch(100)),
      toPayload(samplePublishRequest(1000)),
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
    const batch = sampleReceivedBatch(5);
    const first = batch.messages[0];
    if (first) first.body = Buffer.from(JSON.stringify({ cmdl: MARKER })).toString('base64');
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
    const [encoded] = await encode(settings, [toPayload(samplePublishRequest(50))]);
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
    const [now] = await encode(off, [toPayload(samplePublishRequest(50))]);
    expect(Buffer.from(now?.metadata?.[METADATA_ENCODING_KEY] ?? []).toString()).toBe('binary/brotli');
    expect((await decode(off, earlier)).map(text)).toEqual([JSON.stringify(MARKER)]);
  });

  it('passes payloads it did not write through unchanged (histories from before the codec)', async () => {
    const plain = toPayload({ written: 'before the codec' });
    expect(await decode(settings, [plain])).toEqual([plain]);
  });
});

describe('compression', () => {
  it('shrinks a publish input of 1,000 events at least 3x', async () => {
    const original = toPayload(samplePublishRequest(1000));
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
