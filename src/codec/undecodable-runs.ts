import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { onPayloadDecodeFailure, type PayloadDecodeFailure } from './decode-failures';

/**
 * What a worker does about payloads it cannot decrypt (a run's input, or history written under a key since removed,
 * e.g. after a rollback from key B to key A). Without it such a run retries its workflow task until its execution
 * timeout (about 76 min): the SDK decodes an activation outside the workflow code, so the failure is a workflow-task
 * failure, which Temporal retries forever, and with overlap BUFFER_ONE no later run starts meanwhile (G7).
 *
 * 1. Every decode failure is counted at once, labelled with the key id the payload names:
 *    `edr_payload_decode_failures{key_id, reason}`; the alert EdrPayloadKeyMissing fires on it (deploy/prometheus).
 * 2. A run whose workflow id a failure names and whose workflow task is still failing `graceMs` later (the pending
 *    workflow task is on attempt 2 or more) is terminated with a reason naming the key id, and counted in
 *    `edr_runs_closed_undecodable{key_id}`. The schedule's buffered run then starts at once. The grace lets another
 *    worker that still has the key (a rolling deploy) take the task over: a run that moves again is left alone.
 *
 * Why terminate from here rather than fail the run in its own code: the workflow never gets to run (its activation
 * cannot be decoded), so neither a workflow failure type nor `workflowFailureErrorTypes` can apply; only a client can
 * close it. An activity whose input cannot be decoded fails that attempt and is retried by its own bounded retry
 * policy; it is counted here too, and its run is terminated only if the run's workflow task is the one failing.
 */
export const UNDECODABLE_RUN_GRACE_SECONDS_DEFAULT = 60;

const settingsSchema = z.object({
  UNDECODABLE_RUN_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0, { error: 'must be 0 (report only, never terminate) or a number of seconds' })
    .max(3600)
    .default(UNDECODABLE_RUN_GRACE_SECONDS_DEFAULT),
});

export function undecodableRunGraceMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data.UNDECODABLE_RUN_GRACE_SECONDS * 1000;
}

/** A run as the guard needs to see it: open or not, and the attempt of its pending workflow task (0: none). */
export interface RunTaskState {
  running: boolean;
  workflowTaskAttempt: number;
}

export interface UndecodableRunGuardOptions {
  /** How long a run may keep failing to decode before it is terminated; 0: report only. */
  graceMs: number;
  state(workflowId: string): Promise<RunTaskState | undefined>;
  terminate(workflowId: string, reason: string): Promise<void>;
  failures: { add(value: number, tags: Record<string, string>): void };
  closed: { add(value: number, tags: Record<string, string>): void };
  warn(message: string): void;
}

/**
 * Key ids label metrics, and a payload's metadata names them: at most this many distinct ids are labelled per
 * process, the rest are counted as `other`, so the series stay few whatever a history holds.
 */
export const MAX_KEY_ID_LABELS = 16;

/** Subscribes to this process's decode failures (src/codec/decode-failures.ts); returns the stop function. */
export function guardUndecodableRuns(options: UndecodableRunGuardOptions): () => void {
  const labels = new Set<string>();
  const label = (keyId: string): string => {
    if (labels.has(keyId) || labels.size < MAX_KEY_ID_LABELS) {
      labels.add(keyId);
      return keyId;
    }
    return 'other';
  };
  /** Runs with a check pending: workflow id → key ids seen failing for it. */
  const watched = new Map<string, Set<string>>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const check = async (workflowId: string): Promise<void> => {
    const keyIds = [...(watched.get(workflowId) ?? [])];
    watched.delete(workflowId);
    if (stopped) return;
    const state = await options.state(workflowId);
    // Closed meanwhile, or its workflow task went through (another worker had the key): nothing to do.
    if (!state?.running || state.workflowTaskAttempt < 2) return;
    const names = keyIds.map((k) => `"${k}"`).join(', ');
    const reason =
      `payload encrypted with key id ${names} cannot be decrypted by the worker (key not configured or wrong); ` +
      `workflow task still failing after ${options.graceMs / 1000} s, so the run is closed instead of retrying ` +
      'until its execution timeout; put the key back into PAYLOAD_KEYS to read its history (docs/confidentiality.md)';
    await options.terminate(workflowId, reason);
    for (const keyId of keyIds) options.closed.add(1, { key_id: label(keyId) });
    options.warn(`run ${workflowId} terminated: ${reason}`);
  };

  const onFailure = (failure: PayloadDecodeFailure): void => {
    options.failures.add(1, { key_id: label(failure.keyId), reason: failure.reason });
    const workflowId = failure.context?.workflowId;
    options.warn(
      `payload with key id "${failure.keyId}" not decrypted (${failure.reason})` +
        (workflowId ? ` for ${failure.context?.type ?? 'a'} payload of workflow ${workflowId}` : ''),
    );
    if (options.graceMs === 0 || workflowId === undefined || stopped) return;
    const pending = watched.get(workflowId);
    if (pending) {
      pending.add(failure.keyId);
      return;
    }
    watched.set(workflowId, new Set([failure.keyId]));
    const timer = setTimeout(() => {
      timers.delete(timer);
      check(workflowId).catch((err: unknown) =>
        options.warn(`undecodable run ${workflowId} not checked: ${err instanceof Error ? err.message : String(err)}`),
      );
    }, options.graceMs);
    // The guard never keeps a stopping worker alive.
    timer.unref();
    timers.add(timer);
  };

  const unsubscribe = onPayloadDecodeFailure(onFailure);
  return () => {
    stopped = true;
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
}

/** What the guard needs of a metric meter (a test records the counts instead of exporting them). */
export interface CounterFactory {
  createCounter(name: string, unit: string, description: string): UndecodableRunGuardOptions['failures'];
}

/**
 * Worker wiring: the metrics on the worker's meter, the run's state read without decoding anything (its memo and
 * input may be under the missing key), and the terminate through the worker's client.
 */
export function startUndecodableRunGuard(
  client: Client,
  meter: Pick<MetricMeter, 'createCounter'> | CounterFactory,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): () => void {
  const namespace = client.options.namespace;
  return guardUndecodableRuns({
    graceMs: undecodableRunGraceMsFromEnv(env),
    state: async (workflowId) => {
      const described = await client.workflowService.describeWorkflowExecution({
        namespace,
        execution: { workflowId },
      });
      const status = described.workflowExecutionInfo?.status;
      return {
        running: status === temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
        workflowTaskAttempt: described.pendingWorkflowTask?.attempt ?? 0,
      };
    },
    terminate: (workflowId, reason) =>
      client.workflow
        .getHandle(workflowId)
        .terminate(reason)
        .then(() => undefined),
    failures: meter.createCounter(
      'edr_payload_decode_failures',
      '1',
      'Payloads this worker could not decrypt, by the key id they name (a key removed while still needed)',
    ),
    closed: meter.createCounter(
      'edr_runs_closed_undecodable',
      '1',
      'Runs terminated because their workflow task kept failing on a payload this worker cannot decrypt',
    ),
    warn,
  });
}
