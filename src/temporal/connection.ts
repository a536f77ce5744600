import type { TLSConfig } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/environment';

export type TemporalConnectionConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
>;

/** What both `Connection.connect` (client) and `NativeConnection.connect` (worker) take, so the two cannot drift. */
export interface TemporalConnectionOptions {
  address: string;
  tls: TLSConfig | false;
  apiKey?: string;
}

export type ReadFile = (path: string) => Buffer;

/**
 * Plain text for the local dev server; TLS as soon as any TLS variable or an API key is set (Temporal Cloud refuses
 * an API key over plain text). mTLS when a client certificate and key are given; a private CA and an SNI override
 * for self-hosted clusters behind a proxy. Files are read here, once, so a wrong path fails at start-up.
 */
export function temporalConnectionOptions(
  config: TemporalConnectionConfig,
  readFile: ReadFile = readFileSync,
): TemporalConnectionOptions {
  const tlsWanted =
    config.TEMPORAL_TLS ||
    config.TEMPORAL_API_KEY !== undefined ||
    config.TEMPORAL_TLS_CLIENT_CERT_PATH !== undefined ||
    config.TEMPORAL_TLS_SERVER_CA_CERT_PATH !== undefined ||
    config.TEMPORAL_TLS_SERVER_NAME !== undefined;
  const options: TemporalConnectionOptions = { address: config.TEMPORAL_ADDRESS, tls: false };
  if (config.TEMPORAL_API_KEY !== undefined) options.apiKey = config.TEMPORAL_API_KEY;
  if (!tlsWanted) return options;

  const tls: TLSConfig = {};
  if (config.TEMPORAL_TLS_CLIENT_CERT_PATH !== undefined && config.TEMPORAL_TLS_CLIENT_KEY_PATH !== undefined) {
    tls.clientCertPair = {
      crt: readNamedFile(readFile, 'TEMPORAL_TLS_CLIENT_CERT_PATH', config.TEMPORAL_TLS_CLIENT_CERT_PATH),
      key: readNamedFile(readFile, 'TEMPORAL_TLS_CLIENT_KEY_PATH', config.TEMPORAL_TLS_CLIENT_KEY_PATH),
    };
  }
  if (config.TEMPORAL_TLS_SERVER_CA_CERT_PATH !== undefined) {
    tls.serverRootCACertificate = readNamedFile(
      readFile,
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      config.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
    );
  }
  if (config.TEMPORAL_TLS_SERVER_NAME !== undefined) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  options.tls = tls;
  return options;
}

/** Which transport a connection uses, for start-up lines: never the key or any file content. */
export function describeTemporalConnection(options: TemporalConnectionOptions): string {
  const transport = options.tls === false ? 'plain text' : options.tls.clientCertPair ? 'mTLS' : 'TLS';
  return `${options.address} (${transport}${options.apiKey !== undefined ? ', API key' : ''})`;
}

function readNamedFile(readFile: ReadFile, variable: string, path: string): Buffer {
  try {
    return readFile(path);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new Error(`${variable}: cannot read ${path} (${reason})`);
  }
}
