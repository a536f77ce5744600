import type { SerializationContext } from '@temporalio/common';

/**
 * Payloads this process could not decrypt, as they happen (G7/G8: a key removed too early must be seen at once, not
 * found after a run timed out). The codec publishes here; the worker's guard (src/codec/undecodable-runs.ts) counts
 * them by key id and closes the run that cannot go on. A process-wide channel rather than a constructor argument: the
 * worker builds its data converter before the Temporal client that the guard needs exists.
 */
export interface PayloadDecodeFailure {
  /** The key id the payload names (`unknown` when it names none). */
  keyId: string;
  /** `key-missing`: this process has no key with that id; `authentication`: it has one, and it does not fit. */
  reason: 'key-missing' | 'authentication' | 'malformed';
  /** What was being decoded, when the SDK says: a workflow's activation, an activity's input, … */
  context?: SerializationContext;
}

export type PayloadDecodeFailureListener = (failure: PayloadDecodeFailure) => void;

const listeners = new Set<PayloadDecodeFailureListener>();

/** Subscribes; returns the unsubscribe function. */
export function onPayloadDecodeFailure(listener: PayloadDecodeFailureListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function reportPayloadDecodeFailure(failure: PayloadDecodeFailure): void {
  for (const listener of listeners) {
    // A broken listener must not turn a decode failure into a different error, nor stop the other listeners.
    try {
      listener(failure);
    } catch {
      // ignored on purpose (see above)
    }
  }
}
