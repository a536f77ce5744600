import { isGrpcServiceError, ScheduleAlreadyRunning, type Client, type ScheduleDescription } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { OperatorError } from '../cli/shell';
import { EncryptionCodec } from '../codec/encryption-codec';
import { ENCODING_ENCRYPTED, encodingOf, METADATA_KEY_ID, metadataText } from '../codec/metadata';
import type { Config } from '../config/environment';
import { drainInputSchema } from '../../workflows/drain-input';
import { runExecutionTimeoutSeconds } from '../../workflows/run-timeout';
import { scheduleOptions } from './definition';

/** `created`: this call made it; `exists`: it was there and is left untouched; `timeout-updated`: it was there and
 * only its run timeout was brought in line with its own run budget; `re-encrypted`: it was there and its stored action
 * (run input, summary) was written again, unchanged, under the current payload key (and its timeout set if it was
 * off); `created-concurrently`: a parallel deploy made it between our describe and create. */
export type ApplyOutcome = 'created' | 'exists' | 'timeout-updated' | 're-encrypted' | 'created-concurrently';

/** The stored action holds a payload under a key id this process cannot decrypt: apply cannot read, so cannot keep, it. */
export class ScheduleKeyUnavailableError extends OperatorError {
  override name = 'ScheduleKeyUnavailableError';
}

/**
 * Creates the schedule if it does not exist. An existing schedule keeps everything an operator tunes (interval, run
 * input, pause state, note): a re-deploy must never wipe that. Two things a re-deploy does set, because they are not
 * tuning but properties of the code and the deployment:
 * - the run timeout (G7 liveness): it follows from the run budget the schedule already has (workflows/run-timeout.ts),
 *   so a schedule created before the timeout existed gets one on the next deploy;
 * - the payload key of the stored action (G8 key rotation): the schedule keeps its run input encrypted with the key
 *   that was active when it was last written, and every run starts with that input, so once that key is removed every
 *   run would fail. When any payload of the action is under another key than the one this client encrypts with (or
 *   encrypted while encryption is off, or plain while it is on), the action is written again with the same values.
 *   A re-deploy without rotation writes nothing.
 */
export async function applySchedule(client: Client, config: Config): Promise<ApplyOutcome> {
  const handle = client.schedule.getHandle(config.SCHEDULE_ID);
  const stored = await storedActionEncoding(client, config.SCHEDULE_ID);
  if (stored) {
    const encoding = clientEncoding(client);
    const unreadable = [...stored.keyIds].filter((id) => encoding.readable !== undefined && !encoding.readable.has(id));
    if (unreadable.length > 0) {
      throw new ScheduleKeyUnavailableError(
        `schedule "${config.SCHEDULE_ID}": its stored run input is encrypted with key id ` +
          `${unreadable.map((id) => `"${id}"`).join(', ')}, which this process does not have ` +
          `(PAYLOAD_KEYS holds ${[...(encoding.readable ?? [])].join(', ') || 'none'}). Apply never replaces the run ` +
          'input (it is operator tuning): run it again with that key among PAYLOAD_KEYS and the new one active, and ' +
          'it re-encrypts the input with the active key (docs/confidentiality.md, "Rotation").',
      );
    }
    const reencrypt = needsReencryption(stored, encoding.active);
    const existing = await handle.describe();
    if (!reencrypt && expectedTimeoutMs(existing) === undefined) return 'exists';
    let outcome: ApplyOutcome = 'exists';
    await handle.update((prev) => {
      if (prev.action.type !== 'startWorkflow') return prev;
      const timeoutMs = expectedTimeoutMs(prev);
      // Writing the description back re-encodes every payload of the action with this client's codec: the values
      // are the ones just read, so the operator's tuning is kept as it is.
      outcome = reencrypt ? 're-encrypted' : 'timeout-updated';
      return timeoutMs === undefined
        ? prev
        : { ...prev, action: { ...prev.action, workflowExecutionTimeout: timeoutMs } };
    });
    return outcome;
  }
  try {
    await client.schedule.create(scheduleOptions(config));
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    return 'created-concurrently';
  }
}

/**
 * The execution timeout the schedule should have, when it differs from the one it has; undefined when it is right, or
 * when the schedule is not ours to decide on (another action type, a run input every run rejects: the operator's to fix).
 */
export function expectedTimeoutMs(schedule: ScheduleDescription): number | undefined {
  if (schedule.action.type !== 'startWorkflow') return undefined;
  const input = drainInputSchema.safeParse(schedule.action.args?.[0] ?? {});
  if (!input.success) return undefined;
  const expected = runExecutionTimeoutSeconds(input.data.runBudgetSeconds) * 1000;
  return schedule.action.workflowExecutionTimeout === expected ? undefined : expected;
}

/** gRPC's status code NOT_FOUND (no such schedule); @grpc/grpc-js is not a dependency of ours to import it from. */
const GRPC_NOT_FOUND = 5;

/** How the payloads of a schedule's stored action are encoded, read from their metadata (nothing is decoded). */
export interface StoredActionEncoding {
  /** Key ids of the encrypted payloads. */
  keyIds: Set<string>;
  /** Payloads not encrypted (written while encryption was off, or before the codec existed). */
  plain: number;
}

/** Undefined when the schedule does not exist. Read without decoding: the payloads may be under a key we lack. */
export async function storedActionEncoding(
  client: Client,
  scheduleId: string,
): Promise<StoredActionEncoding | undefined> {
  let raw;
  try {
    raw = await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId });
  } catch (err) {
    if (isGrpcServiceError(err)) {
      const code: number = err.code;
      if (code === GRPC_NOT_FOUND) return undefined;
    }
    throw err;
  }
  const start = raw.schedule?.action?.startWorkflow;
  const payloads: Payload[] = [
    ...(start?.input?.payloads ?? []),
    ...[start?.userMetadata?.summary, start?.userMetadata?.details].filter((p): p is Payload => p != null),
  ];
  const keyIds = new Set<string>();
  let plain = 0;
  for (const payload of payloads) {
    const keyId = encodingOf(payload) === ENCODING_ENCRYPTED ? metadataText(payload, METADATA_KEY_ID) : undefined;
    if (keyId === undefined) plain += 1;
    else keyIds.add(keyId);
  }
  return { keyIds, plain };
}

/**
 * The key this client encrypts with (null: encryption off) and the key ids it can decrypt (undefined: it has no
 * encryption codec at all, so it cannot tell).
 */
export function clientEncoding(client: Client): { active: string | null; readable: Set<string> | undefined } {
  const codec = client.options.loadedDataConverter.payloadCodecs.find((c) => c instanceof EncryptionCodec);
  if (!(codec instanceof EncryptionCodec)) return { active: null, readable: undefined };
  return { active: codec.activeKeyId, readable: new Set(codec.keyIds) };
}

/** Any payload under another key than the active one, encrypted while encryption is off, or plain while it is on. */
export function needsReencryption(stored: StoredActionEncoding, activeKeyId: string | null): boolean {
  if (activeKeyId === null) return stored.keyIds.size > 0;
  return stored.plain > 0 || [...stored.keyIds].some((id) => id !== activeKeyId);
}
