import { setTimeout as sleep } from 'node:timers/promises';
import { ListMessageMoveTasksCommand, StartMessageMoveTaskCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { OperatorError } from '../cli/shell';
import { formatDurationMs } from '../config/duration';
import type { DlqPair } from './queues';

/**
 * SQS's own redrive (StartMessageMoveTask): SQS moves every message of the DLQ back to the source queue itself, with
 * no message passing through this process. It moves the whole queue (no count bound) and runs asynchronously, so the
 * command waits for its end by polling ListMessageMoveTasks. Emulators may lack it: fauxqs 1.9.2 answers
 * InvalidAction "Unknown action: StartMessageMoveTask", and then the caller falls back to the copy redrive.
 */
export type MoveTaskOutcome =
  | { kind: 'unsupported'; reason: string }
  | { kind: 'completed'; moved: number; handle: string }
  | { kind: 'failed'; moved: number; handle: string; status: string; reason: string };

const UNSUPPORTED = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException']);

export function isUnsupportedOperation(err: unknown): boolean {
  return err instanceof Error && (UNSUPPORTED.has(err.name) || /unknown action|not implemented/i.test(err.message));
}

export async function startMoveTask(sqs: SQSClient, pair: DlqPair): Promise<string | { unsupported: string }> {
  try {
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: pair.dlqArn, DestinationArn: pair.sourceArn }),
    );
    if (!TaskHandle) throw new OperatorError('StartMessageMoveTask returned no task handle');
    return TaskHandle;
  } catch (err) {
    if (isUnsupportedOperation(err)) return { unsupported: err instanceof Error ? err.message : String(err) };
    throw err;
  }
}

/** Bounded poll until the task leaves RUNNING; a task still running at the deadline is reported, not cancelled. */
export async function waitForMoveTask(
  sqs: SQSClient,
  pair: DlqPair,
  handle: string,
  timeoutMs: number,
  pollMs = 2_000,
): Promise<MoveTaskOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: pair.dlqArn, MaxResults: 10 }));
    const task = (Results ?? []).find((t) => t.TaskHandle === handle) ?? Results?.[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    const status = task?.Status ?? 'UNKNOWN';
    if (status === 'COMPLETED') return { kind: 'completed', moved, handle };
    if (status === 'FAILED' || status === 'CANCELLED') {
      return { kind: 'failed', moved, handle, status, reason: task?.FailureReason ?? 'no reason given' };
    }
    if (Date.now() + pollMs > deadline) {
      return {
        kind: 'failed',
        moved,
        handle,
        status,
        reason: `still ${status} after ${formatDurationMs(timeoutMs)}`,
      };
    }
    await sleep(pollMs);
  }
}

export async function runMoveTask(
  sqs: SQSClient,
  pair: DlqPair,
  timeoutMs: number,
  pollMs?: number,
): Promise<MoveTaskOutcome> {
  const started = await startMoveTask(sqs, pair);
  if (typeof started !== 'string') return { kind: 'unsupported', reason: started.unsupported };
  return waitForMoveTask(sqs, pair, started, timeoutMs, pollMs);
}
