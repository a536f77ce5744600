import { log } from '@temporalio/workflow';
import type { ReceivedBatch } from '../src/contracts/batch-steps';
import type { DrainInput } from './drain-input';
import type { RunTotals } from './run-summary';

/** What the lanes of one run share. */
export interface Run {
  input: DrainInput;
  totals: RunTotals;
  deadlineMs: number;
  /** Batches abandoned so far (each counted once, whichever of its steps found its worker gone). */
  abandoned: Set<string>;
  /** Continuous mode: the last batch received was full, so more is waiting and every lane works. */
  backlog: boolean;
  /** Lane 0, the one that listens while the others wait for a backlog, has stopped. */
  listenerStopped: boolean;
}

/** Counts a batch whose worker is gone (once): its messages reappear after their visibility timeout (G5). */
export function abandon(run: Run, batch: Pick<ReceivedBatch, 'batchId' | 'messages'>): void {
  if (run.abandoned.has(batch.batchId)) return;
  run.abandoned.add(batch.batchId);
  run.totals.abandonedMessages += batch.messages;
  log.warn('batch abandoned: its worker is gone; its messages reappear in the queue', {
    batchId: batch.batchId,
    messages: batch.messages,
  });
}
