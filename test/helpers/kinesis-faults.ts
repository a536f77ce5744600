import {
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';

/**
 * A client-side fault injector for PutRecords on a real emulator-backed client: chosen entries are reported failed
 * and NOT forwarded, so the emulator's stream matches what the response claims (no emulator produces partial
 * failures by itself). `lie` answers with every entry failed and a wrong FailedRecordCount of 0, forwarding nothing.
 */
export type EntryFault = 'ProvisionedThroughputExceededException' | 'InternalFailure';

export interface PutRecordsFaults {
  /** Decide per call and entry; undefined lets the entry through. */
  entryFault?: (call: number, entry: number) => EntryFault | undefined;
  /** Calls answered with all entries failed and FailedRecordCount 0. */
  lieOnCalls?: ReadonlySet<number>;
}

export function injectPutRecordsFaults(kinesis: KinesisClient, faults: PutRecordsFaults): { calls: () => number } {
  let calls = 0;
  kinesis.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== PutRecordsCommand.name) return next(args);
      const call = calls++;
      const input = args.input as { Records?: PutRecordsRequestEntry[] };
      const entries = input.Records ?? [];
      if (faults.lieOnCalls?.has(call)) {
        const output: Partial<PutRecordsCommandOutput> = {
          FailedRecordCount: 0,
          Records: entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'injected' })),
          $metadata: { httpStatusCode: 200 },
        };
        return { output, response: {} } as Awaited<ReturnType<typeof next>>;
      }
      const verdicts = entries.map((_, i) => faults.entryFault?.(call, i));
      const forwarded = entries.filter((_, i) => verdicts[i] === undefined);
      const real = forwarded.length > 0 ? await next({ ...args, input: { ...input, Records: forwarded } }) : undefined;
      const realOutput = real?.output as PutRecordsCommandOutput | undefined;
      let cursor = 0;
      const Records = verdicts.map((fault) =>
        fault
          ? { ErrorCode: fault, ErrorMessage: 'injected' }
          : (realOutput?.Records?.[cursor++] ?? { ErrorCode: 'InternalFailure' }),
      );
      const output: Partial<PutRecordsCommandOutput> = {
        ...realOutput,
        Records,
        FailedRecordCount: Records.filter((r) => r.ErrorCode).length,
        $metadata: realOutput?.$metadata ?? { httpStatusCode: 200 },
      };
      return { output, response: real?.response ?? {} } as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'injectPutRecordsFaults' },
  );
  return { calls: () => calls };
}
