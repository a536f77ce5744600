import {
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  type Message,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { chunkBySize } from '../aws/chunk-by-size';
import { SQS_BATCH_LIMIT } from '../sqs/batch';
import { receiveDeadLetters, releaseMessages } from './receive';
import { ORIGINAL_MESSAGE_ID_ATTRIBUTE } from '../domain/event-id';

/**
 * Redrive without the message-move task: receive from the DLQ → send to the source queue → delete from the DLQ.
 * G1 no loss: a message is deleted from the DLQ only after SQS confirmed its send entry; a message whose send failed
 * is made visible in the DLQ again and the redrive stops. Idempotent on retry: a message already sent by this run that
 * shows up again (its delete failed) is only deleted, never sent twice; running the command again moves what is left.
 * The one duplicate it cannot rule out: SQS stored a send whose answer never arrived, or a delete failed after a
 * confirmed send and the run ended; those messages are in both queues and are reported.
 * G3 identity: every copy carries the id of the message the pipeline first saw in the OriginalMessageId attribute
 * (originalMessageId), so its events keep their event ids.
 */
export interface CopyRedriveOptions {
  sqs: SQSClient;
  dlqUrl: string;
  targetUrl: string;
  /** At most this many distinct messages. */
  max: number;
  /** How long a received message stays hidden in the DLQ while it is moved. */
  visibilityTimeoutSeconds: number;
  /** Tries per send or delete entry before giving up on it (failed entries only are retried). */
  attempts?: number;
}

export interface FailedEntry {
  id: string;
  code: string;
  message: string;
}

export interface CopyRedriveResult {
  moved: number;
  /** Not sent, still in the DLQ (released at once). */
  sendFailed: FailedEntry[];
  /** Sent to the source queue but still in the DLQ: a later redrive would send them again. */
  sentNotDeleted: FailedEntry[];
}

// SQS caps a SendMessageBatch at 256 KiB of payload in total; a larger message goes alone.
const BATCH_BYTES = 256 * 1024;

export async function copyRedrive(options: CopyRedriveOptions): Promise<CopyRedriveResult> {
  const { sqs, dlqUrl, max } = options;
  const attempts = options.attempts ?? 3;
  const handled = new Set<string>();
  const sentThisRun = new Set<string>();
  const sentNotDeleted = new Map<string, FailedEntry>();
  let moved = 0;
  while (handled.size < max) {
    const batch = await receiveDeadLetters(sqs, dlqUrl, max - handled.size, options.visibilityTimeoutSeconds);
    if (batch.length === 0) break;
    batch.forEach((m) => handled.add(idOf(m)));
    const again = batch.filter((m) => sentThisRun.has(idOf(m)));
    const fresh = batch.filter((m) => !sentThisRun.has(idOf(m)));
    const { sent, failed } = await sendAll(sqs, options.targetUrl, fresh, attempts);
    sent.forEach((m) => sentThisRun.add(idOf(m)));
    const deletes = await deleteAll(sqs, dlqUrl, [...again, ...sent], attempts);
    moved += deletes.deleted.length;
    deletes.deleted.forEach((m) => sentNotDeleted.delete(idOf(m)));
    deletes.failed.forEach((f) => sentNotDeleted.set(f.id, f));
    if (failed.length > 0) {
      await releaseMessages(
        sqs,
        dlqUrl,
        failed.map((f) => f.message),
      );
      return { moved, sendFailed: failed.map((f) => f.entry), sentNotDeleted: [...sentNotDeleted.values()] };
    }
  }
  return { moved, sendFailed: [], sentNotDeleted: [...sentNotDeleted.values()] };
}

/** A request that failed as a whole (network, throttling, permissions): every entry in it counts as unconfirmed. */
function requestFailed(err: unknown): { requestError: { code: string; message: string } } {
  return {
    requestError: {
      code: err instanceof Error ? err.name : 'RequestFailed',
      message: err instanceof Error ? err.message : String(err),
    },
  };
}

function idOf(message: Message): string {
  return message.MessageId ?? '';
}

/**
 * The message attribute that carries a redriven message's identity (G3): SQS gives the copy a new message id, and the
 * pipeline derives event ids from the message id, so without it a message published in part before it was
 * dead-lettered would reappear downstream under new event ids. The pipeline's receive derives event ids from this
 * attribute when a message has it.
 */
export { ORIGINAL_MESSAGE_ID_ATTRIBUTE };

/**
 * The id the redriven copy must keep: the dead letter's own OriginalMessageId (it was redriven before and
 * dead-lettered again), else its message id (SQS keeps the message id when its redrive policy moves a message to the
 * DLQ, so this is the id the pipeline saw).
 */
export function originalMessageId(message: Message): string | undefined {
  const carried = message.MessageAttributes?.[ORIGINAL_MESSAGE_ID_ATTRIBUTE];
  if (carried?.DataType === 'String' && carried.StringValue) return carried.StringValue;
  return message.MessageId;
}

function sendEntry(message: Message, id: string): SendMessageBatchRequestEntry {
  const original = originalMessageId(message);
  return {
    Id: id,
    MessageBody: message.Body ?? '',
    MessageAttributes: {
      ...message.MessageAttributes,
      ...(original === undefined
        ? {}
        : { [ORIGINAL_MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: original } }),
    },
  };
}

/** Groups messages so each SendMessageBatch stays within SQS's limits (10 entries, 256 KiB). */
export function sendChunks(messages: readonly Message[]): Message[][] {
  return chunkBySize(messages, (m) => Buffer.byteLength(m.Body ?? '', 'utf8'), BATCH_BYTES, SQS_BATCH_LIMIT);
}

interface SendOutcome {
  sent: Message[];
  failed: { message: Message; entry: FailedEntry }[];
}

/** Sends each message, retrying only the entries SQS reported as failed; success means SQS confirmed that entry. */
async function sendAll(sqs: SQSClient, queueUrl: string, messages: Message[], attempts: number): Promise<SendOutcome> {
  const outcome: SendOutcome = { sent: [], failed: [] };
  for (const chunk of sendChunks(messages)) {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const answer = await sqs
        .send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map((m, i) => sendEntry(m, String(i))) }),
        )
        .catch((err: unknown) => requestFailed(err));
      if ('requestError' in answer) {
        // Nothing confirmed: these stay in the DLQ (SQS may still have stored them: the reported duplicate case).
        outcome.failed.push(...pending.map((m) => ({ message: m, entry: { id: idOf(m), ...answer.requestError } })));
        break;
      }
      const { Successful, Failed } = answer;
      const ok = new Set((Successful ?? []).map((s) => s.Id));
      outcome.sent.push(...pending.filter((_, i) => ok.has(String(i))));
      const failures = new Map((Failed ?? []).map((f) => [f.Id, f]));
      // An entry in neither list was not confirmed: treated as failed (it stays in the DLQ).
      const notSent = pending.flatMap((m, i) => (ok.has(String(i)) ? [] : [{ m, f: failures.get(String(i)) }]));
      if (attempt >= attempts || notSent.some(({ f }) => f?.SenderFault === true)) {
        outcome.failed.push(
          ...notSent.map(({ m, f }) => ({
            message: m,
            entry: { id: idOf(m), code: f?.Code ?? 'NotConfirmed', message: f?.Message ?? 'no result for entry' },
          })),
        );
        break;
      }
      pending = notSent.map(({ m }) => m);
    }
  }
  return outcome;
}

async function deleteAll(
  sqs: SQSClient,
  queueUrl: string,
  messages: Message[],
  attempts: number,
): Promise<{ deleted: Message[]; failed: FailedEntry[] }> {
  const deleted: Message[] = [];
  const failed: FailedEntry[] = [];
  for (let start = 0; start < messages.length; start += 10) {
    let pending = messages.slice(start, start + 10);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const answer = await sqs
        .send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: pending.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        )
        .catch((err: unknown) => requestFailed(err));
      if ('requestError' in answer) {
        failed.push(...pending.map((m) => ({ id: idOf(m), ...answer.requestError })));
        break;
      }
      const { Successful, Failed } = answer;
      const ok = new Set((Successful ?? []).map((s) => s.Id));
      deleted.push(...pending.filter((_, i) => ok.has(String(i))));
      const failures = new Map((Failed ?? []).map((f) => [f.Id, f]));
      const notDeleted = pending.flatMap((m, i) => (ok.has(String(i)) ? [] : [{ m, f: failures.get(String(i)) }]));
      if (attempt >= attempts) {
        failed.push(
          ...notDeleted.map(({ m, f }) => ({
            id: idOf(m),
            code: f?.Code ?? 'NotConfirmed',
            message: f?.Message ?? 'no result for entry',
          })),
        );
        break;
      }
      pending = notDeleted.map(({ m }) => m);
    }
  }
  return { deleted, failed };
}
