import type { DeleteResult, ReceivedBatch } from '../src/contracts/batch-steps';
import { batchSteps } from './activity-proxies';
import { abandon, type Run } from './run-state';
import { ABANDONED, runStep } from './step';

interface Waiting {
  batch: ReceivedBatch;
  /** Messages of the batch this step settles. */
  messages: number;
}

/**
 * A lane's messages waiting to leave the queue: published ones to delete, invalid ones to drop. They leave together
 * once they fill a DeleteMessageBatch request (maxNumberOfMessages), when the lane goes quiet or stops, or before a
 * batch from another worker joins: at light load one delete step serves several batches (fewer actions), and the
 * events are on the stream already, so waiting costs no latency. The batches stay leased meanwhile (G5).
 */
export class Settlement {
  private taskQueue = '';
  private toDelete: Waiting[] = [];
  private toDrop: Waiting[] = [];

  constructor(private readonly run: Run) {}

  /** Adds a batch's published (`deletable`) and invalid (`droppable`) messages; returns a started flush, if due. */
  add(batch: ReceivedBatch, deletable: number, droppable: number): Promise<boolean> | undefined {
    const flushed = batch.taskQueue === this.taskQueue ? undefined : this.flush();
    this.taskQueue = batch.taskQueue;
    if (deletable > 0) this.toDelete.push({ batch, messages: deletable });
    if (droppable > 0) this.toDrop.push({ batch, messages: droppable });
    if (this.waitingMessages() < this.run.input.maxNumberOfMessages) return flushed;
    const full = this.flush();
    return flushed ? Promise.all([flushed, full]).then((done) => done.every(Boolean)) : full;
  }

  /** Starts the delete and the drop of everything waiting; resolves false if one failed after its retries. */
  flush(): Promise<boolean> | undefined {
    if (this.waitingMessages() === 0) return undefined;
    const steps = batchSteps(this.taskQueue);
    const [toDelete, toDrop] = [this.toDelete, this.toDrop];
    [this.toDelete, this.toDrop] = [[], []];
    const deleting = this.settle(toDelete, 'published', (ids, summary) =>
      steps.deleteMessages.executeWithOptions({ summary }, [{ batchIds: ids }]),
    );
    // Invalid submissions are dropped whatever happens to their valid neighbours (G4).
    const dropping = this.settle(toDrop, 'invalid', async (ids, summary) => {
      const dropped = await steps.dropInvalidSubmissions.executeWithOptions({ summary }, [{ batchIds: ids }]);
      this.run.totals.quarantined += dropped.quarantined;
      return dropped;
    });
    return Promise.all([deleting, dropping]).then((done) => done.every(Boolean));
  }

  private waitingMessages(): number {
    return countMessages(this.toDelete) + countMessages(this.toDrop);
  }

  private async settle(
    waiting: Waiting[],
    what: string,
    step: (batchIds: string[], summary: string) => Promise<DeleteResult>,
  ): Promise<boolean> {
    if (waiting.length === 0) return true;
    const { run } = this;
    const messages = countMessages(waiting);
    const summary = `${what === 'invalid' ? 'drop' : 'delete'} ${messages} ${what} messages of ${waiting.length} batches`;
    const result = await runStep(run.totals, 'delete', messages, () =>
      step(
        waiting.map((w) => w.batch.batchId),
        summary,
      ),
    );
    if (result === undefined) return false;
    for (const { batch } of waiting) {
      if (result === ABANDONED || result.notHeld.includes(batch.batchId)) abandon(run, batch);
    }
    if (result === ABANDONED) return true;
    run.totals.deleted += result.deleted;
    run.totals.deleteRetriedEntries += result.retriedEntries;
    run.totals.staleReceipts += result.staleReceipts;
    return true;
  }
}

function countMessages(waiting: readonly Waiting[]): number {
  return waiting.reduce((n, w) => n + w.messages, 0);
}
