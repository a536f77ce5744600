import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';

/** Payload metadata names and encodings written by this project's codecs (readable without any key). */
export const ENCODING_BROTLI = 'binary/brotli';
export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const METADATA_CIPHER = 'encryption-cipher';
export const CIPHER_AES_256_GCM = 'AES-256-GCM';

export function metadataText(payload: Payload, name: string): string | undefined {
  const value = payload.metadata?.[name];
  return value ? Buffer.from(value).toString('utf8') : undefined;
}

export function encodingOf(payload: Payload): string | undefined {
  return metadataText(payload, METADATA_ENCODING_KEY);
}

export function textBytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}
