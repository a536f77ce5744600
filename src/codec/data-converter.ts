import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { CompressionCodec } from './compression-codec';
import { EncryptionCodec } from './encryption-codec';
import { payloadKeySettingsFromEnv, type PayloadKeySettings } from './keys';

/**
 * Compression then encryption (the SDK encodes in array order and decodes in reverse). Compressing first is the only
 * order that helps: ciphertext does not compress.
 */
export function payloadCodecs(settings: PayloadKeySettings): PayloadCodec[] {
  const keys = settings.keyring?.keys ?? new Map<string, Buffer>();
  const activeKeyId = settings.encrypt ? settings.keyring.activeKeyId : null;
  return [new CompressionCodec(), new EncryptionCodec(keys, activeKeyId)];
}

export function dataConverterFor(settings: PayloadKeySettings): DataConverter {
  return { payloadCodecs: payloadCodecs(settings) };
}

/**
 * The data converter for the worker and every client (G8 confidentiality): the same one everywhere, or a client could
 * not read what the worker wrote. Throws PayloadKeyConfigError for a bad or missing key configuration.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  return dataConverterFor(payloadKeySettingsFromEnv(env));
}

/** One line for a start-up log: what protects payloads, never any key material. */
export function describePayloadProtection(settings: PayloadKeySettings): string {
  if (settings.encrypt) {
    return `payloads compressed and encrypted (AES-256-GCM, active key "${settings.keyring.activeKeyId}", ${settings.keyring.keys.size} key(s))`;
  }
  return `payloads compressed, NOT encrypted: ${settings.reason}`;
}
