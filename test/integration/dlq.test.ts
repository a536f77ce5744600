import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../src/aws/clients';
import { runDlqCli } from '../../src/dlq/cli';
import { createTestQueue, deleteTestQueue, emulatorClients, queueArn, queueDepth } from '../helpers/aws';
import { uniqueName } from '../helpers/temporal';

/**
 * `npm run dlq` on the SQS emulator: dead letters are listed (bounded, escaped), then redriven back to the source queue
 * with identical bodies and attributes and nothing left behind; a send entry that fails midway loses nothing.
 * fauxqs 1.9.2 has no StartMessageMoveTask, so `auto` falls back to the copy redrive here.
 */
jest.setTimeout(60_000);

interface Drained {
  body: string;
  attributes: Record<string, string | undefined>;
}

/** Receives and deletes everything in a queue (bounded): what a consumer of the source queue would get. */
async function drain(sqs: SQSClient, queueUrl: string): Promise<Drained[]> {
  const out: Drained[] = [];
  for (let empty = 0; empty < 2;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    if (!Messages?.length) {
      empty++;
      continue;
    }
    for (const m of Messages) {
      out.push({
        body: m.Body ?? '',
        attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])),
      });
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return out;
}

function captureIo(): { io: { out: (t: string) => void; err: (t: string) => void }; text: () => string } {
  let text = '';
  return {
    io: { out: (t) => (text += `${t}\n`), err: (t) => (text += `${t}\n`) },
    text: () => text,
  };
}

describe('npm run dlq on the emulator', () => {
  let sqs: SQSClient;
  let sourceUrl: string;
  let dlqUrl: string;
  let env: NodeJS.ProcessEnv;
  /** The dead letters' message ids, in the order of `bodies`. */
  let dlqMessageIds: string[];

  // A long telemetry-like body (only its head may be shown), one with a bidi override and line breaks (must be
  // escaped), and plain ones.
  const longBody = JSON.stringify({ device_id: 'dev-1', events: [{ cmdline: 'x'.repeat(3000) }] });
  const trickyBody = 'evil\u202Eroot\nnext line\ttab ünïcode';
  const bodies = [longBody, trickyBody, ...Array.from({ length: 13 }, (_, i) => `{"n":${i}}`)];

  beforeEach(async () => {
    sqs = emulatorClients().sqs;
    dlqUrl = await createTestQueue(sqs, uniqueName('dlq-test-dlq'));
    sourceUrl = await createTestQueue(sqs, uniqueName('dlq-test-src'), {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, dlqUrl), maxReceiveCount: 3 }),
    });
    env = { ...process.env, SQS_QUEUE_URL: sourceUrl, SQS_DLQ_URL: undefined };
    dlqMessageIds = [];
    for (const [i, body] of bodies.entries()) {
      const { MessageId } = await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: body,
          MessageAttributes: { origin: { DataType: 'String', StringValue: `sensor-${i}` } },
        }),
      );
      dlqMessageIds.push(MessageId ?? '');
    }
  });
  afterEach(async () => {
    await deleteTestQueue(sqs, sourceUrl);
    await deleteTestQueue(sqs, dlqUrl);
  });

  it('lists depth, age and bounded escaped previews, and leaves the messages in place', async () => {
    const { io, text } = captureIo();
    const code = await runDlqCli(['list', '--limit', '100', '--preview-bytes', '40'], io, { env });
    expect(code).toBe(0);
    const output = text();
    expect(output).toContain(`dead-letter queue ${dlqUrl} (source ${sourceUrl})`);
    expect(output).toMatch(/depth: +15 visible, 0 in flight/);
    expect(output).toMatch(/oldest: +\d+s since first sent/);
    expect(output).toContain('listed:  15 (at most 100)');
    // Escaped, never raw: no bidi override, no line break inside a preview.
    expect(output).toContain('body="evil\\u202eroot\\nnext line\\ttab \\xfcn\\xefcode"');
    expect(output).not.toContain('\u202E');
    // Bounded: the long body shows its first 40 bytes and a mark, never the 3000 x's.
    expect(output).toContain(`body="${longBody.slice(0, 40).replace(/"/g, '\\"')}"…`);
    expect(output).not.toContain('x'.repeat(100));
    expect(output).toMatch(/receives=1 +size=\d+B/);
    // Listing hides nothing afterwards.
    expect(await queueDepth(sqs, dlqUrl)).toEqual({ visible: 15, inFlight: 0 });

    const hidden = captureIo();
    expect(await runDlqCli(['list', '--preview-bytes', '0'], hidden.io, { env })).toBe(0);
    expect(hidden.text()).toContain('bodies hidden');
    expect(hidden.text()).not.toContain('body=');
  });

  it('redrives everything back with identical bodies and attributes plus each original message id, DLQ empty', async () => {
    const dry = captureIo();
    expect(await runDlqCli(['redrive', '--dry-run'], dry.io, { env })).toBe(0);
    expect(await queueDepth(sqs, dlqUrl)).toEqual({ visible: 15, inFlight: 0 });

    const { io, text } = captureIo();
    const code = await runDlqCli(['redrive'], io, { env });
    expect(code).toBe(0);
    expect(text()).toContain('by copy');
    expect(text()).toContain('moved 15 messages');
    expect(await queueDepth(sqs, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    const moved = await drain(sqs, sourceUrl);
    expect(moved.map((m) => m.body).sort()).toEqual([...bodies].sort());
    for (const m of moved) {
      expect(m.attributes.origin).toBe(`sensor-${bodies.indexOf(m.body)}`);
      // G3: the copy names the dead letter's message id, from which the pipeline derives its event ids.
      expect(m.attributes.OriginalMessageId).toBe(dlqMessageIds[bodies.indexOf(m.body)]);
    }
  });

  it('--method auto falls back to the copy where the endpoint has no message-move task', async () => {
    const { io, text } = captureIo();
    expect(await runDlqCli(['redrive', '--method', 'auto'], io, { env })).toBe(0);
    expect(text()).toContain('message-move task not available here');
    expect(text()).toContain('moved 15 messages');
    expect((await drain(sqs, sourceUrl)).map((m) => m.attributes.OriginalMessageId).sort()).toEqual(
      [...dlqMessageIds].sort(),
    );
  });

  it('moves at most --max messages', async () => {
    const { io, text } = captureIo();
    expect(await runDlqCli(['redrive', '--max', '4'], io, { env })).toBe(0);
    expect(text()).toContain('moved 4 messages');
    expect(await queueDepth(sqs, dlqUrl)).toEqual({ visible: 11, inFlight: 0 });
    expect(await drain(sqs, sourceUrl)).toHaveLength(4);
  });

  /**
   * The emulator client, except that every SendMessageBatch entry `failIf` picks is not sent and is reported failed
   * (as SQS does for a throttled or rejected entry); the rest of the batch really goes through.
   */
  function clientFailingEntries(failIf: (body: string, call: number) => boolean): SQSClient {
    const client = createSqsClient({
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ENDPOINT_URL_SQS: process.env.AWS_ENDPOINT_URL_SQS,
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_KINESIS: undefined,
    });
    let call = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'SendMessageBatchCommand') return next(args);
        const thisCall = call++;
        const input = args.input as SendMessageBatchCommand['input'];
        const entries = input.Entries ?? [];
        const dropped = entries.filter((e) => failIf(e.MessageBody ?? '', thisCall));
        const kept = entries.filter((e) => !dropped.includes(e));
        // SQS rejects an empty batch: when every entry is dropped, answer without sending.
        const result =
          kept.length > 0
            ? await next({ ...args, input: { ...input, Entries: kept } })
            : { output: { Successful: [], Failed: [], $metadata: {} }, response: {} };
        const output = result.output as SendMessageBatchCommandOutput;
        const injected = dropped.map((e) => ({
          Id: e.Id,
          SenderFault: false,
          Code: 'InternalError',
          Message: 'injected',
        }));
        return { ...result, output: { ...output, Failed: [...(output.Failed ?? []), ...injected] } };
      },
      { step: 'initialize', name: 'failChosenEntries' },
    );
    return client;
  }

  it('loses nothing when a send entry fails midway, and a second redrive finishes the job without duplicates', async () => {
    // One message in the middle fails on every try: the redrive gives up on it and stops.
    const poisoned = '{"n":5}';
    const failing = clientFailingEntries((body) => body === poisoned);
    const first = captureIo();
    const code = await runDlqCli(['redrive', '--method', 'copy'], first.io, { env, sqs: failing });
    expect(code).toBe(1);
    expect(first.text()).toMatch(/NOT SENT \(still in the DLQ\): \S+ +InternalError: injected/);
    const movedFirst = Number(/moved (\d+) messages/.exec(first.text())?.[1]);
    // Sent entries were deleted; the failed one is visible in the DLQ again at once (released), with the unreached.
    expect(movedFirst).toBeGreaterThan(0);
    expect(movedFirst).toBeLessThan(15);
    expect(await queueDepth(sqs, dlqUrl)).toEqual({ visible: 15 - movedFirst, inFlight: 0 });
    const inSource = await drain(sqs, sourceUrl);
    expect(inSource).toHaveLength(movedFirst);
    expect(inSource.map((m) => m.body)).not.toContain(poisoned);

    const second = captureIo();
    expect(await runDlqCli(['redrive', '--method', 'copy'], second.io, { env })).toBe(0);
    expect(second.text()).toContain(`moved ${15 - movedFirst} messages`);
    expect(await queueDepth(sqs, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    // Every body exactly once over both runs: nothing lost, nothing sent twice.
    const all = [...inSource, ...(await drain(sqs, sourceUrl))];
    expect(all.map((m) => m.body).sort()).toEqual([...bodies].sort());
  });

  it('retries a send entry that fails once and moves every message exactly once', async () => {
    const flaky = clientFailingEntries((body, call) => body === '{"n":7}' && call === 1);
    const { io, text } = captureIo();
    expect(await runDlqCli(['redrive', '--method', 'copy'], io, { env, sqs: flaky })).toBe(0);
    expect(text()).toContain('moved 15 messages');
    expect(await queueDepth(sqs, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect((await drain(sqs, sourceUrl)).map((m) => m.body).sort()).toEqual([...bodies].sort());
  });

  it('refuses a DLQ that is not the source queue’s dead-letter target', async () => {
    const other = await createTestQueue(sqs, uniqueName('dlq-test-other'));
    try {
      const { io, text } = captureIo();
      expect(await runDlqCli(['redrive', '--dlq-url', other], io, { env })).toBe(1);
      expect(text()).toContain('dead-letters into');
      expect(await queueDepth(sqs, dlqUrl)).toEqual({ visible: 15, inFlight: 0 });
    } finally {
      await deleteTestQueue(sqs, other);
    }
  });
});
