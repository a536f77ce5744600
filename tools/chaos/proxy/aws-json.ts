import { z } from 'zod';

/** The two AWS JSON protocols the proxy understands, told apart by the `X-Amz-Target` header. */
export type Service = 'sqs' | 'kinesis';

export interface Target {
  service: Service | 'unknown';
  /** e.g. `PutRecords`, `DeleteMessageBatch`; empty when the request has no known target. */
  operation: string;
}

export function parseTarget(header: string | string[] | undefined): Target {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^(AmazonSQS|Kinesis_\d+)\.([A-Za-z]+)$/.exec(value ?? '');
  if (!match) return { service: 'unknown', operation: '' };
  return { service: match[1] === 'AmazonSQS' ? 'sqs' : 'kinesis', operation: match[2] ?? '' };
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An error answer as the service sends it. Kinesis (JSON 1.1): `__type` is the error name. SQS (JSON 1.0, "query
 * compatible"): `__type` is the shape id and `x-amzn-query-error` carries the legacy code the SDK exposes as `Code`.
 */
export function errorReply(service: Service | 'unknown', kind: 'throttle' | 500 | 503): ErrorReply {
  if (service === 'sqs') {
    const [status, type, code, message] =
      kind === 'throttle'
        ? [400, 'com.amazonaws.sqs#RequestThrottled', 'RequestThrottled', 'Rate exceeded (injected)']
        : kind === 500
          ? [500, 'com.amazonaws.sqs#InternalError', 'InternalError', 'internal error (injected)']
          : [503, 'com.amazonaws.sqs#ServiceUnavailable', 'ServiceUnavailable', 'service unavailable (injected)'];
    return {
      status,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': `${code};${status === 400 ? 'Sender' : 'Receiver'}`,
      },
      body: JSON.stringify({ __type: type, message }),
    };
  }
  const [status, type, message] =
    kind === 'throttle'
      ? [400, 'ProvisionedThroughputExceededException', 'Rate exceeded for shard (injected)']
      : kind === 500
        ? [500, 'InternalFailure', 'internal failure (injected)']
        : [503, 'ServiceUnavailable', 'service unavailable (injected)'];
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ __type: type, message }),
  };
}

// Only the fields the proxy rewrites are declared; loose objects carry every other field through untouched.

export const putRecordsRequestSchema = z.looseObject({
  Records: z.array(z.looseObject({ Data: z.string(), PartitionKey: z.string() })),
});
export type PutRecordsRequestBody = z.infer<typeof putRecordsRequestSchema>;

// kinesis-local answers `"ErrorCode": null` for successful entries, hence nullish.
export const putRecordsResultEntrySchema = z.looseObject({
  SequenceNumber: z.string().nullish(),
  ShardId: z.string().nullish(),
  ErrorCode: z.string().nullish(),
  ErrorMessage: z.string().nullish(),
});
export type PutRecordsResultEntryBody = z.infer<typeof putRecordsResultEntrySchema>;

export const putRecordsResponseSchema = z.looseObject({
  FailedRecordCount: z.number().int().nullish(),
  Records: z.array(putRecordsResultEntrySchema),
});
export type PutRecordsResponseBody = z.infer<typeof putRecordsResponseSchema>;

/** DeleteMessageBatch and ChangeMessageVisibilityBatch share this shape. */
export const sqsBatchRequestSchema = z.looseObject({
  Entries: z.array(z.looseObject({ Id: z.string() })),
});
export type SqsBatchRequestBody = z.infer<typeof sqsBatchRequestSchema>;

export const sqsBatchFailedEntrySchema = z.looseObject({
  Id: z.string(),
  SenderFault: z.boolean(),
  Code: z.string(),
  Message: z.string().nullish(),
});
export type SqsBatchFailedEntry = z.infer<typeof sqsBatchFailedEntrySchema>;

export const sqsBatchResponseSchema = z.looseObject({
  Successful: z.array(z.looseObject({ Id: z.string() })).nullish(),
  Failed: z.array(sqsBatchFailedEntrySchema).nullish(),
});
export type SqsBatchResponseBody = z.infer<typeof sqsBatchResponseSchema>;

/** SQS ReceiveMessage answer: only the message ids matter here (to count redeliveries). */
export const receiveMessageResponseSchema = z.looseObject({
  Messages: z.array(z.looseObject({ MessageId: z.string() })).optional(),
});

export const SQS_BATCH_OPERATIONS: readonly string[] = ['DeleteMessageBatch', 'ChangeMessageVisibilityBatch'];

/** Parses JSON text with a schema; undefined when it is not JSON or not that shape (the proxy then forwards as-is). */
export function parseJson<T>(schema: z.ZodType<T>, text: string): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
