import type { RecordDerivation } from './types';

/** A valid submission's records as the receive step derived them, with the partition key they go under. */
export interface DerivedRecords {
  partitionKey: string;
  records: string[];
}

/**
 * The records the receive step derived while judging valid messages, kept on the worker for its publish step, so a
 * batch received and published on the same worker derives its records once. Only a shortcut: a publish that finds
 * nothing here (another worker received the batch, the entry was evicted, a retried attempt) derives the records
 * again from the body, which gives the same records (same body, same derivation). Keyed by message id and the whole
 * derivation, so records of one run's settings never serve another's. Bounded by the characters of the records held,
 * oldest dropped first; a publish takes its entries out. The records are plaintext telemetry, as the bodies the worker
 * already holds in memory are (docs/confidentiality.md): nothing here leaves the process.
 */
export class JudgedRecords {
  private readonly entries = new Map<string, DerivedRecords>();
  private heldChars = 0;

  constructor(private readonly maxChars: number = DEFAULT_JUDGED_RECORDS_CHARS) {}

  keep(messageId: string, derivation: RecordDerivation, derived: DerivedRecords): void {
    const size = charsOf(derived);
    if (size > this.maxChars) return;
    const key = keyOf(messageId, derivation);
    this.drop(key);
    this.entries.set(key, { partitionKey: derived.partitionKey, records: derived.records });
    this.heldChars += size;
    for (const [oldest, held] of this.entries) {
      if (this.heldChars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.heldChars -= charsOf(held);
    }
  }

  /** The records kept for this message and derivation, removed from the store; undefined when none are. */
  take(messageId: string, derivation: RecordDerivation): DerivedRecords | undefined {
    const key = keyOf(messageId, derivation);
    const derived = this.entries.get(key);
    this.drop(key);
    return derived;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const held = this.entries.get(key);
    if (held === undefined) return;
    this.entries.delete(key);
    this.heldChars -= charsOf(held);
  }
}

/** 32 Mi characters (up to 64 MiB as V8 strings): several full batches of every lane of a worker. */
export const DEFAULT_JUDGED_RECORDS_CHARS = 32 * 1024 * 1024;

function charsOf({ partitionKey, records }: DerivedRecords): number {
  return records.reduce((sum, r) => sum + r.length, partitionKey.length);
}

/** Independent of key order: a derivation read back from history is equal, not always identically laid out. */
function keyOf(
  messageId: string,
  { processedAt, partitionKey, includeProvenance, unknownFields, limits }: RecordDerivation,
): string {
  const sortedLimits = Object.entries(limits).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([messageId, processedAt, partitionKey, includeProvenance, unknownFields, sortedLimits]);
}
