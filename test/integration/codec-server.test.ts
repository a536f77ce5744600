import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { dataConverterFor } from '../../src/codec/data-converter';
import type { PayloadKeySettings } from '../../src/codec/keys';
import { createCodecServer } from '../../src/codec/server';
import { codecServerConfigFromEnv } from '../../src/codec/server-config';

/**
 * The codec server on a free port, called over real HTTP the way the Web UI and the temporal CLI call it.
 * No Temporal server needed.
 */
const TOKEN = randomBytes(24).toString('base64url');
const UI_ORIGIN = 'http://127.0.0.1:8233';
const MARKER = 'powershell -enc SECRET-MARKER-41b2';
const settings: PayloadKeySettings = {
  encrypt: true,
  keyring: { activeKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) },
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

let server: Server;
let port = 0;

function call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The payload the SDK's default converter writes for a value (JSON, `json/plain`), as a worker writes it. */
function toPayload(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

const authorised = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };

function jsonPayloads(payloads: Payload[]): string {
  return JSON.stringify({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  });
}

async function encodedByWorker(value: unknown): Promise<string> {
  let payloads = [toPayload(value)];
  for (const codec of dataConverterFor(settings).payloadCodecs ?? []) payloads = await codec.encode(payloads);
  return jsonPayloads(payloads);
}

beforeAll(async () => {
  const config = codecServerConfigFromEnv({
    CODEC_SERVER_PORT: '0',
    CODEC_SERVER_TOKEN: TOKEN,
    CODEC_SERVER_CORS_ORIGINS: UI_ORIGIN,
    TEMPORAL_NAMESPACE: 'default',
  });
  server = createCodecServer(config, dataConverterFor(settings).payloadCodecs ?? []);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('codec server', () => {
  it('decodes what the worker encoded, for an authorised caller', async () => {
    const answer = await call(
      'POST',
      '/decode',
      { ...authorised, 'X-Namespace': 'default' },
      await encodedByWorker({ cmdl: MARKER }),
    );
    expect(answer.status).toBe(200);
    const { payloads } = JSON.parse(answer.text) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(payloads[0]?.data ?? '', 'base64').toString()).toBe(JSON.stringify({ cmdl: MARKER }));
    expect(Buffer.from(payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
  });

  it('encodes (the UI and CLI starting a workflow) into payloads that hide the plaintext and decode again', async () => {
    const encoded = await call('POST', '/encode', authorised, jsonPayloads([toPayload(MARKER)]));
    expect(encoded.status).toBe(200);
    expect(encoded.text).not.toContain(Buffer.from(JSON.stringify(MARKER)).toString('base64').slice(0, 12));
    const decoded = await call('POST', '/decode', authorised, encoded.text);
    expect(decoded.text).toContain(Buffer.from(JSON.stringify(MARKER)).toString('base64'));
  });

  it.each([
    ['no token', { 'Content-Type': 'application/json' }],
    ['a wrong token', { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}x` }],
    ['a token that is not a bearer token', { 'Content-Type': 'application/json', Authorization: TOKEN }],
  ])('answers 401 and decodes nothing for %s', async (_case, headers) => {
    const answer = await call('POST', '/decode', headers, await encodedByWorker({ cmdl: MARKER }));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(answer.text).not.toContain(Buffer.from(MARKER).toString('base64').slice(0, 12));
    expect(answer.text).not.toContain('payloads');
  });

  it.each([
    ['a body that is not JSON', authorised, '{payloads', 400, /not JSON/],
    ['a body without payloads', authorised, '{"items":[]}', 400, /payloads/],
    ['data that is not base64', authorised, '{"payloads":[{"data":"***"}]}', 400, /base64/],
    [
      'another content type',
      { ...authorised, 'Content-Type': 'text/plain' },
      '{"payloads":[]}',
      415,
      /application\/json/,
    ],
    ['a namespace not served', { ...authorised, 'X-Namespace': 'other' }, '{"payloads":[]}', 403, /namespace other/],
    ['a disallowed origin', { ...authorised, Origin: 'https://evil.example' }, '{"payloads":[]}', 403, /origin/],
  ])('answers %s with a clear 4xx', async (_case, headers, body, status, message) => {
    const answer = await call('POST', '/decode', headers, body);
    expect(answer.status).toBe(status);
    expect((JSON.parse(answer.text) as { error: string }).error).toMatch(message);
  });

  it('answers 422 for a tampered payload and 404/405 for other paths and methods', async () => {
    const body = JSON.parse(await encodedByWorker({ cmdl: MARKER })) as { payloads: { data: string }[] };
    const data = Buffer.from(body.payloads[0]?.data ?? '', 'base64');
    data[20] = (data[20] ?? 0) ^ 1;
    if (body.payloads[0]) body.payloads[0].data = data.toString('base64');
    expect((await call('POST', '/decode', authorised, JSON.stringify(body))).status).toBe(422);
    expect((await call('POST', '/secrets', authorised, '{}')).status).toBe(404);
    expect((await call('GET', '/decode', authorised)).status).toBe(405);
  });

  it('answers the Web UI preflight for its origin, and refuses others', async () => {
    const preflight = {
      Origin: UI_ORIGIN,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
    };
    const ok = await call('OPTIONS', '/decode', preflight);
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(ok.headers['access-control-allow-headers']).toMatch(/x-namespace/);
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    const refused = await call('OPTIONS', '/decode', { ...preflight, Origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    // and the actual request from the UI's origin carries the CORS header the browser needs to read the answer
    const post = await call('POST', '/decode', { ...authorised, Origin: UI_ORIGIN }, '{"payloads":[]}');
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
  });
});

describe('codec server configuration', () => {
  it('refuses to listen beyond loopback, or in production, without a token', () => {
    expect(() => codecServerConfigFromEnv({ CODEC_SERVER_HOST: '0.0.0.0' })).toThrow(
      /CODEC_SERVER_TOKEN: must be set when CODEC_SERVER_HOST/,
    );
    expect(() => codecServerConfigFromEnv({ NODE_ENV: 'production' })).toThrow(
      /CODEC_SERVER_TOKEN: must be set when NODE_ENV=production/,
    );
    expect(codecServerConfigFromEnv({}).token).toBeNull();
  });

  it('never echoes a rejected token', () => {
    const weak = 'short token';
    expect(() => codecServerConfigFromEnv({ CODEC_SERVER_TOKEN: weak })).toThrow(
      /CODEC_SERVER_TOKEN: must be at least 24/,
    );
    try {
      codecServerConfigFromEnv({ CODEC_SERVER_TOKEN: weak });
    } catch (err) {
      expect(String(err)).not.toContain(weak);
    }
  });

  it('prints usage for --help and starts nothing', () => {
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/codec/cli.ts', '--help'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, CODEC_SERVER_PORT: '1', NODE_ENV: 'production' },
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/POST \/encode, POST \/decode/);
    expect(result.stdout).not.toMatch(/codec server on/);
  });
});
