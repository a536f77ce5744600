import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';
import { temporalConnectionOptions, type TemporalConnectionConfig } from './temporal-connection';

export async function connectClient(
  config: TemporalConnectionConfig & Pick<Config, 'TEMPORAL_NAMESPACE'>,
): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
