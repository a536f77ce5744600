import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, type SerializationContext } from '@temporalio/common';
import { reportPayloadDecodeFailure, type PayloadDecodeFailure } from './decode-failures';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  CIPHER_AES_256_GCM,
  ENCODING_ENCRYPTED,
  encodingOf,
  METADATA_CIPHER,
  METADATA_KEY_ID,
  metadataText,
  textBytes,
} from './metadata';
import { framePayload, unframePayload } from './payload-frame';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that cannot be decrypted: unknown key id, wrong key, or bytes changed since they were written. */
export class PayloadDecryptionError extends Error {
  override readonly name: string = 'PayloadDecryptionError';

  constructor(
    message: string,
    /** The key id the payload names (`unknown` when it names none): what an operator must put back. */
    readonly keyId: string = 'unknown',
    readonly reason: PayloadDecodeFailure['reason'] = 'malformed',
  ) {
    super(message);
  }
}

/** The payload names a key id this process does not have: a key removed while something still needs it. */
export class PayloadKeyMissingError extends PayloadDecryptionError {
  override readonly name: string = 'PayloadKeyMissingError';

  constructor(message: string, keyId: string) {
    super(message, keyId, 'key-missing');
  }
}

/**
 * AES-256-GCM over the whole payload (metadata and data), with a random 96-bit nonce per payload. The key id and
 * cipher stay readable in the metadata so a decoder picks the right key; they are bound to the ciphertext as
 * additional authenticated data, so relabelling a payload with another key id fails like any other tampering.
 * Data layout: nonce (12 bytes), ciphertext, authentication tag (16 bytes).
 * `activeKeyId: null` means encryption is off: payloads are written as they are, and older encrypted ones still decode.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly active: { id: string; key: Buffer } | null;

  /** The key id new payloads are written with; null when encryption is off. */
  get activeKeyId(): string | null {
    return this.active?.id ?? null;
  }

  /** The key ids this codec can decrypt. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    activeKeyId: string | null,
  ) {
    const key = activeKeyId === null ? undefined : keys.get(activeKeyId);
    if (activeKeyId !== null && key === undefined) throw new RangeError('the active key id is not among the keys');
    this.active = activeKeyId !== null && key !== undefined ? { id: activeKeyId, key } : null;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const active = this.active;
    if (active === null) return payloads;
    return payloads.map((payload) => encryptPayload(payload, active.id, active.key));
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    try {
      return payloads.map((payload) => this.decodeOne(payload));
    } catch (err) {
      // Reported where it happens, with the key id and what was being decoded: the worker turns it into a metric and
      // closes a run that cannot go on (src/codec/undecodable-runs.ts) instead of letting it retry until its timeout.
      if (err instanceof PayloadDecryptionError) reportPayloadDecodeFailure(failureOf(err, context));
      throw err;
    }
  }

  private decodeOne(payload: Payload): Payload {
    if (encodingOf(payload) !== ENCODING_ENCRYPTED) return payload;
    const keyId = metadataText(payload, METADATA_KEY_ID);
    const cipher = metadataText(payload, METADATA_CIPHER);
    if (keyId === undefined) throw new PayloadDecryptionError(`encrypted payload without ${METADATA_KEY_ID}`);
    if (cipher !== CIPHER_AES_256_GCM) {
      throw new PayloadDecryptionError(
        `encrypted payload with unsupported cipher ${JSON.stringify(cipher ?? null)}`,
        keyId,
      );
    }
    const key = this.keys.get(keyId);
    if (key === undefined) {
      const known = this.keys.size > 0 ? [...this.keys.keys()].join(', ') : 'none';
      throw new PayloadKeyMissingError(
        `payload was encrypted with key id "${keyId}", which is not configured (known key ids: ${known}); ` +
          'add it to PAYLOAD_KEYS to read this history',
        keyId,
      );
    }
    return decryptPayload(payload.data ?? new Uint8Array(0), keyId, key);
  }
}

function additionalData(keyId: string): Buffer {
  return Buffer.from(`${CIPHER_AES_256_GCM}:${keyId}`, 'utf8');
}

function encryptPayload(payload: Payload, keyId: string, key: Buffer): Payload {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(keyId));
  const ciphertext = Buffer.concat([cipher.update(framePayload(payload)), cipher.final()]);
  return {
    metadata: {
      [METADATA_ENCODING_KEY]: textBytes(ENCODING_ENCRYPTED),
      [METADATA_CIPHER]: textBytes(CIPHER_AES_256_GCM),
      [METADATA_KEY_ID]: textBytes(keyId),
    },
    data: Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]),
  };
}

function decryptPayload(data: Uint8Array, keyId: string, key: Buffer): Payload {
  if (data.length < NONCE_BYTES + TAG_BYTES) {
    throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") is too short to be valid`, keyId);
  }
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(keyId));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([
      decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new PayloadDecryptionError(
      `encrypted payload (key id "${keyId}") failed authentication: altered, truncated, or not written with this key`,
      keyId,
      'authentication',
    );
  }
  return unframePayload(plaintext);
}

function failureOf(err: PayloadDecryptionError, context: SerializationContext | undefined): PayloadDecodeFailure {
  const failure: PayloadDecodeFailure = { keyId: err.keyId, reason: err.reason };
  return context === undefined ? failure : { ...failure, context };
}
