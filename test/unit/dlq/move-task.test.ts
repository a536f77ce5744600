import {
  SQSClient,
  type ListMessageMoveTasksCommandOutput,
  type ServiceOutputTypes,
  type StartMessageMoveTaskCommandOutput,
} from '@aws-sdk/client-sqs';
import { runMoveTask } from '../../../src/dlq/move-task';
import type { DlqPair } from '../../../src/dlq/queues';

/**
 * SQS's message-move task, on a client whose StartMessageMoveTask / ListMessageMoveTasks answers are scripted (fauxqs
 * 1.9.2 has neither, so the emulator cannot show this path).
 */
const pair: DlqPair = {
  dlqUrl: 'http://127.0.0.1:9/000000000000/dlq',
  dlqArn: 'arn:aws:sqs:us-east-1:000000000000:dlq',
  sourceUrl: 'http://127.0.0.1:9/000000000000/src',
  sourceArn: 'arn:aws:sqs:us-east-1:000000000000:src',
};

type Answer = () => ServiceOutputTypes;

const started =
  (TaskHandle: string): Answer =>
  () =>
    ({ TaskHandle, $metadata: {} }) satisfies StartMessageMoveTaskCommandOutput;
const listed =
  (...Results: NonNullable<ListMessageMoveTasksCommandOutput['Results']>): Answer =>
  () =>
    ({ Results, $metadata: {} }) satisfies ListMessageMoveTasksCommandOutput;

function scriptedSqs(answers: Record<string, Answer[]>): { sqs: SQSClient; inputs: unknown[] } {
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const inputs: unknown[] = [];
  sqs.middlewareStack.add(
    () => async (args) => {
      inputs.push(args.input);
      const name = Object.keys(answers).find((n) => (answers[n]?.length ?? 0) > 0 && isCommand(args.input, n));
      const next = name === undefined ? undefined : answers[name]?.shift();
      if (next === undefined) throw new Error('unscripted call');
      return { output: next(), response: {} };
    },
    { step: 'initialize', name: 'scripted' },
  );
  return { sqs, inputs };
}

// StartMessageMoveTask has DestinationArn, ListMessageMoveTasks has MaxResults: enough to tell them apart here.
function isCommand(input: unknown, name: string): boolean {
  const keys = typeof input === 'object' && input !== null ? Object.keys(input) : [];
  return name === 'start' ? keys.includes('DestinationArn') : keys.includes('MaxResults');
}

function unknownAction(): never {
  const err = new Error('Unknown action: StartMessageMoveTask');
  err.name = 'InvalidAction';
  throw err;
}

describe('message-move task redrive', () => {
  it('starts a task from the DLQ to the source queue and waits until it completes', async () => {
    const { sqs, inputs } = scriptedSqs({
      start: [started('h-1')],
      list: [
        listed({ TaskHandle: 'h-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3 }),
        listed({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 7 }),
      ],
    });
    const outcome = await runMoveTask(sqs, pair, 10_000, 1);
    expect(outcome).toEqual({ kind: 'completed', moved: 7, handle: 'h-1' });
    expect(inputs[0]).toEqual({ SourceArn: pair.dlqArn, DestinationArn: pair.sourceArn });
  });

  it('reports a failed task with its reason', async () => {
    const { sqs } = scriptedSqs({
      start: [started('h-2')],
      list: [listed({ Status: 'FAILED', FailureReason: 'AccessDenied', ApproximateNumberOfMessagesMoved: 1 })],
    });
    expect(await runMoveTask(sqs, pair, 10_000, 1)).toEqual({
      kind: 'failed',
      moved: 1,
      handle: 'h-2',
      status: 'FAILED',
      reason: 'AccessDenied',
    });
  });

  it('says "unsupported" when the endpoint does not know the action (the copy redrive takes over)', async () => {
    const { sqs } = scriptedSqs({ start: [unknownAction] });
    expect(await runMoveTask(sqs, pair, 10_000, 1)).toEqual({
      kind: 'unsupported',
      reason: 'Unknown action: StartMessageMoveTask',
    });
  });

  it('stops waiting at the deadline and reports the task as still running', async () => {
    const running = listed({ TaskHandle: 'h-3', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 2 });
    const { sqs } = scriptedSqs({
      start: [started('h-3')],
      list: Array.from({ length: 50 }, () => running),
    });
    const outcome = await runMoveTask(sqs, pair, 30, 10);
    expect(outcome).toMatchObject({ kind: 'failed', status: 'RUNNING', moved: 2, reason: 'still RUNNING after 0s' });
  });
});
