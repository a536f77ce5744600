import { setTimeout as sleep } from 'node:timers/promises';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

/** Delays every PutRecords by `ms` before it is sent: a slow stream, to exercise leases and timeouts. */
export function slowDownPutRecords(kinesis: KinesisClient, ms: number): void {
  kinesis.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === PutRecordsCommand.name) await sleep(ms);
      return next(args);
    },
    { step: 'initialize', name: 'slowDownPutRecords' },
  );
}
