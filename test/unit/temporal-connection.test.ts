import { loadConfig } from '../../src/config/environment';
import { describeTemporalConnection, temporalConnectionOptions } from '../../src/temporal/connection';

const minimal = { SQS_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/submissions', KINESIS_STREAM_NAME: 'events' };

// A fake file system: the options must carry exactly the bytes of the named files.
const files: Record<string, string> = {
  '/certs/client.pem': 'CLIENT CERT',
  '/certs/client.key': 'CLIENT KEY',
  '/certs/ca.pem': 'PRIVATE CA',
};
const readFile = (path: string): Buffer => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return Buffer.from(content);
};

const optionsFor = (env: Record<string, string>) =>
  temporalConnectionOptions(loadConfig({ ...minimal, ...env }), readFile);

describe('temporalConnectionOptions', () => {
  it('is plain text without credentials by default', () => {
    expect(optionsFor({ TEMPORAL_ADDRESS: '127.0.0.1:7233' })).toEqual({ address: '127.0.0.1:7233', tls: false });
  });

  it('turns TLS on for an API key (Temporal Cloud refuses keys over plain text)', () => {
    const options = optionsFor({ TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'k-1' });
    expect(options).toEqual({ address: 'us-east-1.aws.api.temporal.io:7233', tls: {}, apiKey: 'k-1' });
    expect(describeTemporalConnection(options)).toBe('us-east-1.aws.api.temporal.io:7233 (TLS, API key)');
  });

  it('uses server-only TLS with TEMPORAL_TLS=true', () => {
    expect(optionsFor({ TEMPORAL_TLS: 'true' }).tls).toEqual({});
  });

  it('reads the client certificate pair for mTLS, plus a private CA and an SNI override', () => {
    const options = optionsFor({
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/certs/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/certs/client.key',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/certs/ca.pem',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(options.tls).toEqual({
      clientCertPair: { crt: Buffer.from('CLIENT CERT'), key: Buffer.from('CLIENT KEY') },
      serverRootCACertificate: Buffer.from('PRIVATE CA'),
      serverNameOverride: 'temporal.internal',
    });
    expect(describeTemporalConnection(options)).toBe('127.0.0.1:7233 (mTLS)');
  });

  it('fails at start-up on an unreadable file, naming the variable', () => {
    expect(() =>
      optionsFor({
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/certs/missing.pem',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '/certs/client.key',
      }),
    ).toThrow('TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read /certs/missing.pem (ENOENT)');
  });

  it('never puts the key into the description it logs', () => {
    const options = optionsFor({ TEMPORAL_API_KEY: 'tmprl-very-secret' });
    expect(describeTemporalConnection(options)).not.toContain('tmprl-very-secret');
  });
});
