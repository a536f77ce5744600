import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  deflateRawSync,
  gzipSync,
  gunzipSync,
  inflateRawSync,
} from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { executeCommand, parseCommandLine, PROCESS_IO, type CliIo } from '../../src/cli-shell';
import { dataConverterFor } from '../../src/codec/data-converter';
import { countEvents, payloadBytes, sampleReceivedBatch, samplePublishRequest, toPayload } from './sample-payloads';

// npm run bench:codec: bytes and CPU time of Node's zlib algorithms on the two largest payloads a run writes to
// history, to choose the codec's compression (figures in docs/confidentiality.md). Single-threaded, synchronous
// calls, so the time is the CPU a worker spends per payload.
const USAGE = `npm run bench:codec   bytes and CPU time of zlib algorithms and of the payload codec on sample run payloads
Takes no flags besides --help; needs no services. Exit codes: 0 measured, 1 failed, 2 usage error.`;

interface Candidate {
  name: string;
  compress: (data: Buffer) => Buffer;
  decompress: (data: Buffer) => Buffer;
}

const brotli = (quality: number): Candidate => ({
  name: `brotli q${quality}`,
  compress: (data) =>
    brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: quality,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }),
  decompress: (data) => brotliDecompressSync(data),
});

const CANDIDATES: Candidate[] = [
  { name: 'deflate-raw 1', compress: (d) => deflateRawSync(d, { level: 1 }), decompress: (d) => inflateRawSync(d) },
  { name: 'deflate-raw 6', compress: (d) => deflateRawSync(d, { level: 6 }), decompress: (d) => inflateRawSync(d) },
  { name: 'gzip 6', compress: (d) => gzipSync(d, { level: 6 }), decompress: (d) => gunzipSync(d) },
  { name: 'gzip 9', compress: (d) => gzipSync(d, { level: 9 }), decompress: (d) => gunzipSync(d) },
  brotli(1),
  brotli(4),
  brotli(5),
  brotli(6),
  brotli(11),
];

function cpuMsPerCall(iterations: number, fn: () => void): number {
  fn(); // warm-up
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / iterations;
}

function measure(label: string, data: Buffer, events: number): void {
  console.log(`\n${label}: ${data.length} bytes as json/plain (${(data.length / events).toFixed(0)} bytes/event)`);
  console.log('algorithm        bytes   ratio  bytes/event  compress ms  decompress ms');
  for (const c of CANDIDATES) {
    const compressed = c.compress(data);
    if (!c.decompress(compressed).equals(data)) throw new Error(`${c.name} did not round-trip`);
    const iterations = c.name === 'brotli q11' ? 3 : 20;
    const compressMs = cpuMsPerCall(iterations, () => c.compress(data));
    const decompressMs = cpuMsPerCall(iterations, () => c.decompress(compressed));
    console.log(
      `${c.name.padEnd(14)} ${String(compressed.length).padStart(7)}  ${(data.length / compressed.length).toFixed(1).padStart(5)}x` +
        `  ${(compressed.length / events).toFixed(0).padStart(11)}  ${compressMs.toFixed(2).padStart(11)}  ${decompressMs.toFixed(2).padStart(13)}`,
    );
  }
}

/** The project's codec end to end (brotli q4 then AES-256-GCM): bytes after, and wall time per payload. */
async function measureCodec(label: string, payload: Payload, events: number): Promise<void> {
  const codecs =
    dataConverterFor({
      encrypt: true,
      keyring: { activeKeyId: 'bench', keys: new Map([['bench', randomBytes(32)]]) },
    }).payloadCodecs ?? [];
  const encode = async (): Promise<Payload[]> => {
    let out = [payload];
    for (const codec of codecs) out = await codec.encode(out);
    return out;
  };
  const decode = async (encoded: Payload[]): Promise<Payload[]> => {
    let out = encoded;
    for (const codec of [...codecs].reverse()) out = await codec.decode(out);
    return out;
  };
  const encoded = await encode();
  const iterations = 20;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await encode();
  const encodeMs = Number(process.hrtime.bigint() - t0) / 1e6 / iterations;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await decode(encoded);
  const decodeMs = Number(process.hrtime.bigint() - t0) / 1e6 / iterations;
  const before = payloadBytes(payload);
  const after = encoded.reduce((n, p) => n + payloadBytes(p), 0);
  console.log(
    `${label.padEnd(28)} ${String(before).padStart(7)} -> ${String(after).padStart(7)} bytes` +
      `  (${(before / events).toFixed(0)} -> ${(after / events).toFixed(0)} bytes/event)` +
      `  encode ${encodeMs.toFixed(1)} ms, decode ${decodeMs.toFixed(1)} ms`,
  );
}

async function main(argv: string[]): Promise<void> {
  parseCommandLine(argv, { help: { type: 'boolean', short: 'h' } });
  const received = sampleReceivedBatch(100);
  const publish = samplePublishRequest(1000);
  const publishEvents = countEvents(publish);
  const receivedPayload = toPayload(received);
  const publishPayload = toPayload(publish);
  // The receive result's events: what the 100 bodies turn into (valid ones only), for a per-event figure.
  const receiveEvents = Math.max(
    1,
    Math.round((publishEvents / publish.submissions.length) * received.messages.length),
  );
  measure(
    `receive result, ${received.messages.length} messages`,
    Buffer.from(receivedPayload.data ?? []),
    receiveEvents,
  );
  measure(`publish input, ${publishEvents} events`, Buffer.from(publishPayload.data ?? []), publishEvents);
  console.log('\nthe codec (compression + encryption), payload bytes incl. metadata:');
  await measureCodec('receive result, 100 messages', receivedPayload, receiveEvents);
  await measureCodec(`publish input, ${publishEvents} events`, publishPayload, publishEvents);
}

/** The whole command as a function (tests call it in-process with --help); exit code as the result. */
export function runCodecBenchCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  return executeCommand(USAGE, main, argv, io);
}

if (require.main === module) {
  void runCodecBenchCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
