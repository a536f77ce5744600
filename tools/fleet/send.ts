import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunkBySize } from '../../src/aws/chunk-by-size';
import { expectedEventId } from './event-id';
import type { PlannedSubmission } from './generate';
import type { PartitionKeyField, SendFailedEntry, SubmissionEntry } from './manifest';

// The I/O half of the fleet: SendMessageBatch with per-entry results checked (a batch answering 200 may still have
// failed entries), bounded concurrency, and a manifest record for every submission, sent or not.

/** The classic SQS limit for a whole batch payload; fauxqs 1.9 and AWS since 2025 allow 1 MiB, we stay portable. */
export const MAX_BATCH_BYTES = 256 * 1024;
export const MAX_BATCH_ENTRIES = 10;

export type SendResult =
  | { ok: true; planned: PlannedSubmission; messageId: string; sentAt: string }
  | { ok: false; planned: PlannedSubmission; code: string; message: string; definite: boolean };

/**
 * Groups submissions into SendMessageBatch requests: at most 10 entries and `maxBatchBytes` of bodies per batch; a
 * body larger than that on its own (the oversized class) travels alone.
 */
export function planBatches(
  submissions: readonly PlannedSubmission[],
  maxBatchBytes: number = MAX_BATCH_BYTES,
): PlannedSubmission[][] {
  return chunkBySize(submissions, (s) => Buffer.byteLength(s.body, 'utf8'), maxBatchBytes, MAX_BATCH_ENTRIES);
}

export function toManifestEntry(
  result: SendResult,
  partitionKeyField: PartitionKeyField = 'device_id',
): SubmissionEntry | SendFailedEntry {
  const p = result.planned;
  if (!result.ok) {
    return {
      kind: 'send_failed',
      seq: p.seq,
      status: p.status,
      ...(p.status === 'broken' ? { brokenClass: p.brokenClass } : {}),
      code: result.code,
      message: result.message,
      definite: result.definite,
    };
  }
  const common = {
    kind: 'submission' as const,
    seq: p.seq,
    messageId: result.messageId,
    sentAt: result.sentAt,
    encoding: p.encoding,
    bodyBytes: Buffer.byteLength(p.body, 'utf8'),
  };
  if (p.status === 'broken') {
    return {
      ...common,
      status: 'broken',
      brokenClass: p.brokenClass,
      eventCountHint: p.eventCountHint,
      deviceId: p.deviceId,
    };
  }
  return {
    ...common,
    status: 'valid',
    submissionId: p.submissionId,
    deviceId: p.deviceId,
    partitionKey: partitionKeyField === 'device_id' ? p.deviceId : p.submissionId,
    events: p.events,
    eventIds: p.events.map((_, i) => expectedEventId(result.messageId, i)),
  };
}

export interface SendBatchOptions {
  queueUrl: string;
  /** Attempts for entries the queue failed on its side (SenderFault false); sender faults are final at once. */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

export async function sendBatch(
  sqs: SQSClient,
  batch: readonly PlannedSubmission[],
  options: SendBatchOptions,
): Promise<SendResult[]> {
  const retries = options.retries ?? 3;
  const pause = options.sleep ?? sleep;
  const results: SendResult[] = [];
  let pending = batch.map((planned, i) => ({ id: `m${i}`, planned }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    const sentAt = new Date().toISOString();
    let response;
    try {
      response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: pending.map((e) => ({ Id: e.id, MessageBody: e.planned.body })),
        }),
      );
    } catch (err) {
      // The SDK already retried the request; its outcome is unknown, so the failure is recorded, never retried blind.
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      for (const e of pending) results.push({ ok: false, planned: e.planned, code: name, message, definite: false });
      return results;
    }
    const byId = new Map(pending.map((e) => [e.id, e.planned]));
    for (const ok of response.Successful ?? []) {
      const planned = byId.get(ok.Id ?? '');
      if (!planned) continue;
      byId.delete(ok.Id ?? '');
      if (!ok.MessageId) {
        results.push({
          ok: false,
          planned,
          code: 'NoMessageId',
          message: 'success without MessageId',
          definite: false,
        });
      } else results.push({ ok: true, planned, messageId: ok.MessageId, sentAt });
    }
    const retry: typeof pending = [];
    for (const failed of response.Failed ?? []) {
      const planned = byId.get(failed.Id ?? '');
      if (!planned) continue;
      byId.delete(failed.Id ?? '');
      if (!failed.SenderFault && attempt < retries) retry.push({ id: failed.Id ?? '', planned });
      else
        results.push({
          ok: false,
          planned,
          code: failed.Code ?? 'Unknown',
          message: failed.Message ?? '',
          definite: true,
        });
    }
    // An entry in neither list is a protocol violation: report it rather than guess.
    for (const planned of byId.values()) {
      results.push({
        ok: false,
        planned,
        code: 'MissingEntryResult',
        message: 'entry absent from response',
        definite: false,
      });
    }
    pending = retry;
    if (pending.length > 0) await pause(100 * 2 ** attempt);
  }
  return results;
}

export interface SendStats {
  sent: number;
  sentValid: number;
  sentBroken: number;
  failed: number;
  events: number;
}

/** Runs batches with at most `concurrency` in flight; `onResult` sees every entry's outcome. */
export class BatchDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  readonly stats: SendStats = { sent: 0, sentValid: 0, sentBroken: 0, failed: 0, events: 0 };

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: SendBatchOptions & { concurrency: number; onResult: (r: SendResult) => void },
  ) {}

  /** Resolves once the batch is in flight (waits for a free slot: backpressure for the producer). */
  async dispatch(batch: readonly PlannedSubmission[]): Promise<void> {
    while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
    const task = sendBatch(this.sqs, batch, this.options).then((results) => {
      for (const r of results) {
        if (r.ok) {
          this.stats.sent++;
          if (r.planned.status === 'valid') {
            this.stats.sentValid++;
            this.stats.events += r.planned.events.length;
          } else this.stats.sentBroken++;
        } else this.stats.failed++;
        this.options.onResult(r);
      }
    });
    const tracked = task.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }
}

/** Sends a fixed list (backlog mode, and the e2e test): returns one result per submission, in input order. */
export async function sendSubmissions(
  sqs: SQSClient,
  submissions: readonly PlannedSubmission[],
  options: SendBatchOptions & { concurrency?: number; maxBatchBytes?: number },
): Promise<SendResult[]> {
  const results: SendResult[] = [];
  const dispatcher = new BatchDispatcher(sqs, {
    ...options,
    concurrency: options.concurrency ?? 8,
    onResult: (r) => results.push(r),
  });
  for (const batch of planBatches(submissions, options.maxBatchBytes)) await dispatcher.dispatch(batch);
  await dispatcher.drain();
  return results.sort((a, b) => a.planned.seq - b.planned.seq);
}
