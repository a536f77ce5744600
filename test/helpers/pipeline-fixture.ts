import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { generateSubmissions, type FleetOptions, type PlannedSubmission } from '../../tools/fleet/generate';
import type { SubmissionEntry } from '../../tools/fleet/manifest';
import { sendSubmissions, toManifestEntry } from '../../tools/fleet/send';
import { createTestQueue, createTestStream, deleteTestQueue, deleteTestStream, emulatorClients } from './aws';
import { connectTestEnv, uniqueName } from './temporal';

/** A fresh queue and stream on the emulators plus a Temporal test environment, for one end-to-end test file. */
export interface PipelineFixture {
  env: TestWorkflowEnvironment;
  sqs: SQSClient;
  kinesis: KinesisClient;
  queueUrl: string;
  streamName: string;
  teardown(): Promise<void>;
}

export async function createPipelineFixture(prefix: string): Promise<PipelineFixture> {
  const env = await connectTestEnv();
  const { sqs, kinesis } = emulatorClients();
  const queueUrl = await createTestQueue(sqs, uniqueName(`${prefix}-submissions`));
  const streamName = uniqueName(`${prefix}-events`);
  await createTestStream(kinesis, streamName, 2);
  return {
    env,
    sqs,
    kinesis,
    queueUrl,
    streamName,
    teardown: async () => {
      await deleteTestQueue(sqs, queueUrl);
      await deleteTestStream(kinesis, streamName);
      await env.teardown();
    },
  };
}

export interface SentLoad {
  planned: PlannedSubmission[];
  /** Manifest entries of the sent submissions, as the verifier's judge takes them. */
  submissions: SubmissionEntry[];
  validCount: number;
  expectedEvents: number;
}

/** Sends a seeded fleet load and returns what the verifier needs to judge the stream afterwards. */
export async function sendFleetLoad(
  fixture: Pick<PipelineFixture, 'sqs' | 'queueUrl'>,
  count: number,
  options: Partial<FleetOptions> = {},
): Promise<SentLoad> {
  const planned = generateSubmissions(
    {
      seed: 20261128,
      devices: 10,
      brokenShare: 1 / 3,
      eventsMin: 1,
      eventsMax: 5,
      plainJsonShare: 0.1,
      startTimeMs: Date.now(),
      ...options,
    },
    count,
  );
  const sent = await sendSubmissions(fixture.sqs, planned, { queueUrl: fixture.queueUrl });
  const submissions = sent
    .map((result) => toManifestEntry(result))
    .flatMap((e) => (e.kind === 'submission' ? [e] : []));
  if (submissions.length !== count) throw new Error(`only ${submissions.length} of ${count} submissions were sent`);
  return {
    planned,
    submissions,
    validCount: planned.filter((p) => p.status === 'valid').length,
    expectedEvents: planned.reduce((sum, p) => sum + (p.status === 'valid' ? p.events.length : 0), 0),
  };
}
