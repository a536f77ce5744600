import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { runDlqCli } from '../../src/dlq/cli';
import { ORIGINAL_MESSAGE_ID_ATTRIBUTE } from '../../src/dlq/copy-redrive';
import { receiveDeadLetters, releaseMessages } from '../../src/dlq/receive';
import { eventIdFor } from '../../src/domain/event-id';
import { renderSubmission } from '../../src/domain/render-submission';
import { spawnWorkerProcess, type WorkerProcess } from '../../tools/stack/worker-process';
import { WORKFLOW_TYPE } from '../../workflows/names';
import {
  createTestQueue,
  createTestStream,
  deleteTestQueue,
  deleteTestStream,
  emulatorClients,
  queueArn,
  queueDepth,
  readStream,
} from '../helpers/aws';
import { asBase64, validSubmission } from '../helpers/submissions';
import { connectTestEnv, uniqueName } from '../helpers/temporal';

/**
 * G3 after a dead-letter redrive (docs/operations.md, "Dead letters"): a message partly published, then
 * dead-lettered by the source queue's redrive policy, then redriven with `npm run dlq -- redrive`, then processed,
 * appears downstream only under the event ids of its original message id: the part published before shows up twice
 * with the same ids, nothing under new ids. On the emulators (fauxqs, kinesis-local) and the Temporal dev server, with
 * the product's worker process (src/worker.ts).
 */
jest.setTimeout(180_000);

const MAX_RECEIVE_COUNT = 2;

/** Receives from the source queue without deleting until its redrive policy moves the message to the DLQ. */
async function deadLetter(sqs: SQSClient, sourceUrl: string, dlqUrl: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if ((await queueDepth(sqs, dlqUrl)).visible > 0) return;
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: sourceUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 1,
      }),
    );
  }
  throw new Error('the message was never dead-lettered');
}

/** The messages of a queue with their attributes, left in place (received, then released). */
async function peek(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages = await receiveDeadLetters(sqs, queueUrl, 10, 30);
  await releaseMessages(sqs, queueUrl, messages);
  return messages;
}

function captureIo(): { io: { out: (t: string) => void; err: (t: string) => void }; text: () => string } {
  let text = '';
  return { io: { out: (t) => (text += `${t}\n`), err: (t) => (text += `${t}\n`) }, text: () => text };
}

describe('dead-letter redrive keeps message identity', () => {
  const { sqs, kinesis } = emulatorClients();
  let sourceUrl: string;
  let dlqUrl: string;
  let streamName: string;
  const workers: WorkerProcess[] = [];

  beforeEach(async () => {
    dlqUrl = await createTestQueue(sqs, uniqueName('redrive-id-dlq'));
    sourceUrl = await createTestQueue(sqs, uniqueName('redrive-id-src'), {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: await queueArn(sqs, dlqUrl),
        maxReceiveCount: MAX_RECEIVE_COUNT,
      }),
    });
    streamName = uniqueName('redrive-id-events');
    await createTestStream(kinesis, streamName, 2);
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    await deleteTestQueue(sqs, sourceUrl);
    await deleteTestQueue(sqs, dlqUrl);
    await deleteTestStream(kinesis, streamName);
  });

  const env = (): NodeJS.ProcessEnv => ({ ...process.env, SQS_QUEUE_URL: sourceUrl, SQS_DLQ_URL: undefined });

  async function redrive(): Promise<string> {
    const { io, text } = captureIo();
    expect(await runDlqCli(['redrive'], io, { env: env() })).toBe(0);
    return text();
  }

  it('the redriven copy carries its original message id, also when it is dead-lettered and redriven again', async () => {
    const { MessageId: original } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: sourceUrl,
        MessageBody: asBase64(validSubmission()),
        MessageAttributes: { origin: { DataType: 'String', StringValue: 'sensor-1' } },
      }),
    );
    if (!original) throw new Error('no message id');
    await deadLetter(sqs, sourceUrl, dlqUrl);
    // fauxqs, like SQS, keeps the message id when the redrive policy moves a message to the DLQ.
    expect((await peek(sqs, dlqUrl)).map((m) => m.MessageId)).toEqual([original]);

    expect(await redrive()).toContain('moved 1 messages');
    const [copy] = await peek(sqs, sourceUrl);
    expect(copy?.MessageId).not.toBe(original);
    expect(copy?.MessageAttributes?.[ORIGINAL_MESSAGE_ID_ATTRIBUTE]).toEqual({
      DataType: 'String',
      StringValue: original,
    });
    // The message's own attributes travel too.
    expect(copy?.MessageAttributes?.origin?.StringValue).toBe('sensor-1');

    // Dead-lettered and redriven a second time: still the first id, not the first copy's.
    await deadLetter(sqs, sourceUrl, dlqUrl);
    expect(await redrive()).toContain('moved 1 messages');
    const [second] = await peek(sqs, sourceUrl);
    expect(second?.MessageId).not.toBe(copy?.MessageId);
    expect(second?.MessageAttributes?.[ORIGINAL_MESSAGE_ID_ATTRIBUTE]?.StringValue).toBe(original);
  });

  it('a message published in part, dead-lettered, redriven and processed appears only under its original event ids', async () => {
    const document = validSubmission({ processes: 3, connections: 3 });
    const body = asBase64(document);
    const { MessageId: original } = await sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: body }));
    if (!original) throw new Error('no message id');

    // What an earlier attempt had published before the message was dead-lettered: its first two events, derived by
    // the product's own domain code from the original message id (as the pipeline derived them then).
    const derived = renderSubmission(body, {
      messageId: original,
      processedAt: new Date(),
      includeProvenance: false,
      partitionKeyField: 'device_id',
    });
    if (!derived.valid) throw new Error(`the sample submission is invalid: ${derived.reason}`);
    const published = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: derived.records
          .slice(0, 2)
          .map((data) => ({ Data: Buffer.from(data, 'utf8'), PartitionKey: derived.partitionKey })),
      }),
    );
    expect(published.Records?.every((r) => r.SequenceNumber && !r.ErrorCode)).toBe(true);

    await deadLetter(sqs, sourceUrl, dlqUrl);
    expect(await redrive()).toContain('moved 1 messages');

    // The product processes the redriven copy: its worker process, one drain run.
    const taskQueue = uniqueName('redrive-id-tq');
    const worker = spawnWorkerProcess({
      TEMPORAL_TASK_QUEUE: taskQueue,
      SCHEDULE_ID: uniqueName('redrive-id-schedule'),
      SQS_QUEUE_URL: sourceUrl,
      KINESIS_STREAM_NAME: streamName,
      SEARCH_ATTRIBUTES: 'false',
      METRICS_PORT: '0',
      DLQ_METRICS_POLL_SECONDS: '0',
      SCHEDULE_HEALTH_POLL_SECONDS: '0',
    });
    workers.push(worker);
    await worker.ready;
    const temporal = await connectTestEnv();
    let summary: unknown;
    try {
      const run = await temporal.client.workflow.start(WORKFLOW_TYPE, {
        taskQueue,
        workflowId: uniqueName('redrive-id-run'),
        args: [{ mode: 'drain', lanes: 1, receiveWaitSeconds: 1, runBudgetSeconds: 30, searchAttributes: false }],
        // No execution timeout: a short one would leave the run no time past its drain allowance
        // (workflows/run-timeout.ts), so it would stop at once. Drain mode ends the run at an empty queue.
      });
      try {
        summary = await run.result();
      } finally {
        await run.terminate('test over').catch(() => undefined);
      }
    } finally {
      await temporal.teardown();
    }
    // Drained; otherwise say what the run saw.
    const depth = await queueDepth(sqs, sourceUrl);
    if (depth.visible + depth.inFlight > 0) {
      throw new Error(`the run left the redriven message in the queue: ${JSON.stringify({ depth, summary })}`);
    }

    // Downstream: every event under its original id, the two published before twice (same id), nothing else.
    const expected = document.events.new_process.length + document.events.network_connection.length;
    const originalIds = Array.from({ length: expected }, (_, i) => eventIdFor(original, i));
    const ids = (await readStream(kinesis, streamName)).map(
      (r) => (JSON.parse(r.data) as { event_id: string }).event_id,
    );
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts.keys()].filter((id) => !originalIds.includes(id))).toEqual([]);
    expect(originalIds.map((id) => counts.get(id) ?? 0)).toEqual([2, 2, 1, 1, 1, 1]);
    expect(ids).toHaveLength(expected + 2);
  });
});
