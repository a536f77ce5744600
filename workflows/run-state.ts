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
  /** The last batch received was full: more is waiting, and every lane receives. */
  backlog: boolean;
  /** Lanes receiving now: at light load (continuous mode) one at a time. */
  receiving: number;
  /** Receives that came back empty so far: the queue went quiet, and every lane's waiting deletes leave. */
  emptyReceives: number;
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
