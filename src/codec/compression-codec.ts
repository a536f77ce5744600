import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { ENCODING_BROTLI, encodingOf, textBytes } from './metadata';
import { framePayload, unframePayload } from './payload-frame';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

/**
 * Brotli at quality 4: on a receive result of 100 submissions and a publish input of 1,000 events it wrote 9–16 %
 * fewer bytes than deflate/gzip level 6 for less CPU (figures: docs/confidentiality.md, `npm run bench:codec`).
 * Runs on libuv's thread pool, so a large payload does not block the worker's event loop.
 */
const BROTLI_QUALITY = 4;
/** Refuse to inflate a payload past this (a decompression bomb sent to the codec server, a corrupt history). */
const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;
/** Below this a frame rarely shrinks and the work is wasted; such payloads are only encrypted. */
const MIN_COMPRESS_BYTES = 256;

export class CompressionCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.encodeOne(payload)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.decodeOne(payload)));
  }

  private async encodeOne(payload: Payload): Promise<Payload> {
    const frame = framePayload(payload);
    if (frame.length < MIN_COMPRESS_BYTES) return payload;
    const compressed = await compress(frame, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: frame.length,
      },
    });
    if (compressed.length >= frame.length) return payload;
    return { metadata: { [METADATA_ENCODING_KEY]: textBytes(ENCODING_BROTLI) }, data: compressed };
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    if (encodingOf(payload) !== ENCODING_BROTLI) return payload;
    return unframePayload(
      await decompress(payload.data ?? new Uint8Array(0), { maxOutputLength: MAX_DECOMPRESSED_BYTES }),
    );
  }
}
