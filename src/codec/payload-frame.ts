import { z } from 'zod';
import type { Payload } from '@temporalio/common';

/**
 * A whole Payload (metadata and data) as one byte string, so a codec can compress or encrypt the metadata along with
 * the data (the encoding name `json/plain` is harmless, but a payload converter could put anything there).
 * Layout: version byte 1, metadata JSON length (uint32 big-endian), metadata JSON ({name: base64}), data bytes.
 * Our own small format rather than the protobuf encoding, so the codec needs no dependency beyond @temporalio/common.
 */
const FRAME_VERSION = 1;
const HEADER_BYTES = 5;

const frameMetadataSchema = z.record(z.string(), z.base64());

export class PayloadFrameError extends Error {
  override readonly name = 'PayloadFrameError';
}

export function framePayload(payload: Payload): Buffer {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload.metadata ?? {})) {
    if (value) metadata[name] = Buffer.from(value).toString('base64');
  }
  const metadataJson = Buffer.from(JSON.stringify(metadata), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(FRAME_VERSION, 0);
  header.writeUInt32BE(metadataJson.length, 1);
  return Buffer.concat([header, metadataJson, payload.data ?? new Uint8Array(0)]);
}

export function unframePayload(bytes: Uint8Array): Payload {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < HEADER_BYTES || buffer.readUInt8(0) !== FRAME_VERSION) {
    throw new PayloadFrameError(`not a payload frame of version ${FRAME_VERSION}`);
  }
  const metadataEnd = HEADER_BYTES + buffer.readUInt32BE(1);
  if (metadataEnd > buffer.length) throw new PayloadFrameError('payload frame is truncated');
  let metadataJson: unknown;
  try {
    metadataJson = JSON.parse(buffer.subarray(HEADER_BYTES, metadataEnd).toString('utf8'));
  } catch {
    throw new PayloadFrameError('payload frame metadata is not JSON');
  }
  const parsed = frameMetadataSchema.safeParse(metadataJson);
  if (!parsed.success) throw new PayloadFrameError('payload frame metadata is not a map of base64 values');
  const metadata: Record<string, Uint8Array> = {};
  for (const [name, value] of Object.entries(parsed.data)) metadata[name] = Buffer.from(value, 'base64');
  return { metadata, data: Buffer.from(buffer.subarray(metadataEnd)) };
}
