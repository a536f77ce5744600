import type { Payload, PayloadCodec } from '@temporalio/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { CodecServerConfig } from './server-config';

/**
 * Temporal's codec server protocol for the Web UI and the `temporal` CLI: POST /encode and POST /decode with
 * `{"payloads": [{"metadata": {name: base64}, "data": base64}]}`, answered in the same shape. Decoded telemetry only
 * ever goes to a caller that passed every check, in this order: browser origin (when the request has one),
 * bearer token (when one is configured), namespace (X-Namespace, when sent), then the request itself.
 */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const ALLOWED_HEADERS = 'authorization, content-type, x-namespace';

const jsonPayloadSchema = z.object({
  metadata: z.record(z.string(), z.base64({ error: 'metadata values must be base64' })).nullish(),
  data: z.base64({ error: 'data must be base64' }).nullish(),
});
const payloadsBodySchema = z.object({ payloads: z.array(jsonPayloadSchema) });
type JsonPayload = z.infer<typeof jsonPayloadSchema>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array(0)).toString('base64')]),
    ),
    data: Buffer.from(data ?? new Uint8Array(0)).toString('base64'),
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time comparison of the presented token; hashing first hides the expected token's length too. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

function corsHeaders(config: CodecServerConfig, origin: string | undefined): Record<string, string> {
  if (origin === undefined || !config.allowedOrigins.includes(origin)) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    Vary: 'Origin',
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    bytes += buffer.length;
    if (bytes > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parsePayloads(text: string): Payload[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
  const parsed = payloadsBodySchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new HttpError(400, `expected {"payloads": [{"metadata": {...}, "data": "<base64>"}]}: ${issues}`);
  }
  return parsed.data.payloads.map(fromJson);
}

function checkAccess(config: CodecServerConfig, req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin !== undefined && !config.allowedOrigins.includes(origin)) {
    throw new HttpError(403, `origin ${origin} is not allowed (CODEC_SERVER_CORS_ORIGINS)`);
  }
  if (config.token !== null && !tokenMatches(req.headers.authorization, config.token)) {
    throw new HttpError(401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer realm="codec-server"' });
  }
  const namespace = req.headers['x-namespace'];
  if (typeof namespace === 'string' && !config.namespaces.includes(namespace)) {
    throw new HttpError(403, `namespace ${namespace} is not served here (CODEC_SERVER_NAMESPACES)`);
  }
}

async function convert(codecs: PayloadCodec[], direction: 'encode' | 'decode', payloads: Payload[]) {
  let out = payloads;
  const ordered = direction === 'encode' ? codecs : [...codecs].reverse();
  try {
    for (const codec of ordered) out = await codec[direction](out);
  } catch (err) {
    // e.g. an unknown key id or a tampered payload: the caller's data, not a server fault
    throw new HttpError(422, `cannot ${direction}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return out;
}

async function handle(
  config: CodecServerConfig,
  codecs: PayloadCodec[],
  req: IncomingMessage,
): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
  const path = new URL(req.url ?? '/', 'http://codec-server').pathname.replace(/\/+$/, '');
  if (path !== '/encode' && path !== '/decode') throw new HttpError(404, 'not found: use POST /encode or POST /decode');
  if (req.method === 'OPTIONS') {
    // CORS preflight: browsers send it without credentials, so only the origin can be checked here.
    const origin = req.headers.origin;
    if (origin === undefined || !config.allowedOrigins.includes(origin)) {
      throw new HttpError(403, `origin ${origin ?? '(none)'} is not allowed (CODEC_SERVER_CORS_ORIGINS)`);
    }
    return {
      status: 204,
      headers: {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      },
    };
  }
  if (req.method !== 'POST') throw new HttpError(405, 'use POST', { Allow: 'POST, OPTIONS' });
  checkAccess(config, req);
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'Content-Type must be application/json');
  }
  const payloads = parsePayloads(await readBody(req));
  const converted = await convert(codecs, path === '/encode' ? 'encode' : 'decode', payloads);
  return { status: 200, body: { payloads: converted.map(toJson) } };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

export function createCodecServer(config: CodecServerConfig, codecs: PayloadCodec[]): Server {
  return createServer((req, res) => {
    const cors = corsHeaders(config, req.headers.origin);
    handle(config, codecs, req).then(
      (answer) => send(res, answer.status, { ...cors, ...answer.headers }, answer.body),
      (err: unknown) => {
        if (err instanceof HttpError) {
          send(res, err.status, { ...cors, ...err.headers }, { error: err.message });
          // the rest of an over-size body is not worth reading
          if (err.status === 413) req.destroy();
          return;
        }
        console.error('codec server: unexpected error', err);
        send(res, 500, cors, { error: 'internal error' });
      },
    );
  });
}
