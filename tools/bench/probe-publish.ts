import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createPublishEvents } from '../../activities/publish-events';
import type { PublishResult } from '../../activities/types';
import { createPutRecordsBatcher, kinesisSender, type BatcherOptions } from '../../activities/put-records-batcher';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { loadEnvFiles } from '../../src/env-files';
import { deleteResources, openProbe } from './stack';

/**
 * Probe of the publish activity alone (no Temporal server): `callers` publish activities run side by side, each with
 * one submission of `events` records (the large-submission case: one record per round), against the Kinesis emulator,
 * with or without the worker-level batcher. Prints events/s and PutRecords requests, to pick the batcher's settings.
 * `npx tsx tools/bench/probe-publish.ts [callers=4] [events=300] [batcher=on|off] [maxInFlight] [maxWaitMs]`
 */
async function main(): Promise<void> {
  loadEnvFiles();
  const callers = Number(process.argv[2] ?? 4);
  const events = Number(process.argv[3] ?? 300);
  const useBatcher = (process.argv[4] ?? 'on') === 'on';
  const options: Partial<BatcherOptions> = {
    ...(process.argv[5] ? { maxInFlight: Number(process.argv[5]) } : {}),
    ...(process.argv[6] ? { maxWaitMs: Number(process.argv[6]) } : {}),
  };
  const { clients, resources: r } = await openProbe('probe-publish');
  const batcher = useBatcher
    ? createPutRecordsBatcher(kinesisSender(clients.kinesis, r.streamName), options)
    : undefined;
  const publishEvents = createPublishEvents({
    ...clients,
    queueUrl: r.queueUrl,
    streamName: r.streamName,
    limits: DEFAULT_VALIDATION_LIMITS,
    ...(batcher ? { putRecordsBatcher: batcher } : {}),
  });
  const record = JSON.stringify({ type: 'new_process', cmdl: 'cmd.exe /c "dir \\"C:\\Users\\x\\""', user: 'john' });
  try {
    const started = performance.now();
    const results: PublishResult[] = await Promise.all(
      Array.from({ length: callers }, (_, c) =>
        new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') }).run<
          [],
          PublishResult,
          () => Promise<PublishResult>
        >(() =>
          publishEvents({
            submissions: [
              {
                messageId: `m${c}`,
                partitionKey: `device-${c % 10}`,
                records: Array.from({ length: events }, () => record),
              },
            ],
          }),
        ),
      ),
    );
    const ms = performance.now() - started;
    const published = results.reduce((sum, x) => sum + x.eventsPublished, 0);
    const requests = batcher ? batcher.stats().requests : results.reduce((sum, x) => sum + x.putRecordsRequests, 0);
    console.log(
      `${callers} callers × ${events} events, batcher ${useBatcher ? JSON.stringify(options) : 'off'}: ` +
        `${((published * 1000) / ms).toFixed(0)} events/s, ${requests} PutRecords (${(published / requests).toFixed(1)} records each), ${(ms / 1000).toFixed(1)} s`,
    );
  } finally {
    await deleteResources(clients, r);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
