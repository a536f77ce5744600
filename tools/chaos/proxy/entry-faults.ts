import type { PutRecordsErrorCode } from './rules';
import type {
  PutRecordsRequestBody,
  PutRecordsResponseBody,
  PutRecordsResultEntryBody,
  SqsBatchFailedEntry,
  SqsBatchRequestBody,
  SqsBatchResponseBody,
} from './aws-json';

// Pure halves of the entry faults: which part of a batch request goes upstream, and the answer rebuilt in the original
// entry order with the injected failures in place, so the emulator's state matches what the client is told.

/** The request with only the surviving entries; undefined when none survive (nothing is forwarded). */
export function survivingPutRecords(
  request: PutRecordsRequestBody,
  failed: ReadonlySet<number>,
): PutRecordsRequestBody | undefined {
  const Records = request.Records.filter((_, i) => !failed.has(i));
  return Records.length === 0 ? undefined : { ...request, Records };
}

/**
 * The answer to the original request: the upstream's results for the forwarded entries (in order) with the injected
 * failures inserted at their positions. FailedRecordCount is recounted from the entries.
 */
export function mergePutRecordsResponse(
  total: number,
  failed: ReadonlySet<number>,
  upstream: PutRecordsResponseBody | undefined,
  codeFor: (index: number) => PutRecordsErrorCode,
): PutRecordsResponseBody {
  const forwarded = upstream?.Records ?? [];
  let cursor = 0;
  const Records: PutRecordsResultEntryBody[] = [];
  for (let i = 0; i < total; i++) {
    if (failed.has(i)) {
      Records.push(injectedPutRecordsFailure(codeFor(i)));
      continue;
    }
    // An upstream answer with fewer results than entries forwarded: the missing ones count as failed, never succeeded.
    Records.push(forwarded[cursor++] ?? injectedPutRecordsFailure('InternalFailure'));
  }
  return { ...upstream, FailedRecordCount: Records.filter((r) => r.ErrorCode).length, Records };
}

/** The "lie" mode: HTTP 200, every entry failed, FailedRecordCount 0. */
export function lyingPutRecordsResponse(total: number, code: PutRecordsErrorCode): PutRecordsResponseBody {
  return { FailedRecordCount: 0, Records: Array.from({ length: total }, () => injectedPutRecordsFailure(code)) };
}

export function injectedPutRecordsFailure(code: PutRecordsErrorCode): PutRecordsResultEntryBody {
  return {
    ErrorCode: code,
    ErrorMessage:
      code === 'ProvisionedThroughputExceededException'
        ? 'Rate exceeded for shard shardId-000000000000 in stream (injected)'
        : 'Internal service failure (injected)',
  };
}

export function survivingSqsBatch(
  request: SqsBatchRequestBody,
  failed: ReadonlySet<number>,
): SqsBatchRequestBody | undefined {
  const Entries = request.Entries.filter((_, i) => !failed.has(i));
  return Entries.length === 0 ? undefined : { ...request, Entries };
}

/** The upstream's Successful/Failed plus one Failed entry (SenderFault false: retryable) per injected failure. */
export function mergeSqsBatchResponse(
  request: SqsBatchRequestBody,
  failed: ReadonlySet<number>,
  upstream: SqsBatchResponseBody | undefined,
  code: string,
): SqsBatchResponseBody {
  const injected: SqsBatchFailedEntry[] = request.Entries.filter((_, i) => failed.has(i)).map((entry) => ({
    Id: entry.Id,
    SenderFault: false,
    Code: code,
    Message: 'injected failure',
  }));
  return {
    ...upstream,
    Successful: upstream?.Successful ?? [],
    Failed: [...(upstream?.Failed ?? []), ...injected],
  };
}
