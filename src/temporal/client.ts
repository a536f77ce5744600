import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../codec/data-converter';
import type { Config } from '../config/environment';
import { temporalConnectionOptions, type TemporalConnectionConfig } from './connection';

export async function connectClient(
  config: TemporalConnectionConfig & Pick<Config, 'TEMPORAL_NAMESPACE'>,
): Promise<Client> {
  // Validate the keys before connecting: a bad key configuration fails fast rather than after a round trip.
  const dataConverter = dataConverterFromEnv();
  const connection = await Connection.connect(temporalConnectionOptions(config));
  // The worker's data converter (G8): schedule arguments are encrypted, and results read back are decoded.
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
}
