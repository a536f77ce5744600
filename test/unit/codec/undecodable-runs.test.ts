import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { dataConverterFor } from '../../../src/codec/data-converter';
import { onPayloadDecodeFailure, reportPayloadDecodeFailure } from '../../../src/codec/decode-failures';
import { PayloadKeyMissingError } from '../../../src/codec/encryption-codec';
import {
  guardUndecodableRuns,
  MAX_KEY_ID_LABELS,
  undecodableRunGraceMsFromEnv,
  type RunTaskState,
} from '../../../src/codec/undecodable-runs';
import type { PayloadKeySettings } from '../../../src/codec/keys';
import { defaultPayloadConverter } from '@temporalio/common';

/** The guard's decisions without a server: which failures are counted, which runs are terminated, and when. */

function settings(keys: Record<string, Buffer>, active: string): PayloadKeySettings {
  return { encrypt: true, keyring: { activeKeyId: active, keys: new Map(Object.entries(keys)) } };
}

interface Harness {
  failures: Record<string, string>[];
  closed: Record<string, string>[];
  terminated: { workflowId: string; reason: string }[];
  stop: () => void;
}

function harness(graceMs: number, state: (workflowId: string) => RunTaskState | undefined): Harness {
  const h: Omit<Harness, 'stop'> = { failures: [], closed: [], terminated: [] };
  const stop = guardUndecodableRuns({
    graceMs,
    state: async (workflowId) => state(workflowId),
    terminate: async (workflowId, reason) => {
      h.terminated.push({ workflowId, reason });
    },
    failures: { add: (_v, tags) => h.failures.push(tags) },
    closed: { add: (_v, tags) => h.closed.push(tags) },
    warn: () => undefined,
  });
  return { ...h, stop };
}

const inWorkflow = (workflowId: string) => ({ type: 'workflow' as const, namespace: 'default', workflowId });

describe('undecodable payloads', () => {
  let stops: (() => void)[] = [];
  afterEach(() => {
    for (const stop of stops) stop();
    stops = [];
  });

  it('the codec reports a missing key with its id and what was being decoded, and still throws', async () => {
    const seen: unknown[] = [];
    stops.push(onPayloadDecodeFailure((f) => seen.push(f)));
    const [, encrypt] = dataConverterFor(settings({ b: randomBytes(32) }, 'b')).payloadCodecs ?? [];
    const [, decrypt] = dataConverterFor(settings({ a: randomBytes(32) }, 'a')).payloadCodecs ?? [];
    if (!encrypt || !decrypt) throw new Error('expected compression and encryption codecs');
    const encoded = await encrypt.encode([defaultPayloadConverter.toPayload('run input')]);
    await expect(decrypt.decode(encoded, inWorkflow('run-1'))).rejects.toThrow(PayloadKeyMissingError);
    expect(seen).toEqual([{ keyId: 'b', reason: 'key-missing', context: inWorkflow('run-1') }]);
  });

  it('counts at once, and terminates a run whose workflow task still fails after the grace, naming the key', async () => {
    const h = harness(50, () => ({ running: true, workflowTaskAttempt: 4 }));
    stops.push(h.stop);
    reportPayloadDecodeFailure({ keyId: 'a', reason: 'key-missing', context: inWorkflow('run-1') });
    reportPayloadDecodeFailure({ keyId: 'a', reason: 'key-missing', context: inWorkflow('run-1') });
    expect(h.failures).toEqual([
      { key_id: 'a', reason: 'key-missing' },
      { key_id: 'a', reason: 'key-missing' },
    ]);
    expect(h.terminated).toEqual([]);
    await sleep(200);
    // One check per run, whatever the number of failures within its grace.
    expect(h.terminated).toHaveLength(1);
    expect(h.terminated[0]?.workflowId).toBe('run-1');
    expect(h.terminated[0]?.reason).toMatch(/key id "a"/);
    expect(h.closed).toEqual([{ key_id: 'a' }]);
  });

  it('leaves a run alone that moved on (another worker had the key) or closed meanwhile', async () => {
    const states: Record<string, RunTaskState> = {
      moved: { running: true, workflowTaskAttempt: 1 },
      closed: { running: false, workflowTaskAttempt: 0 },
    };
    const h = harness(50, (id) => states[id]);
    stops.push(h.stop);
    reportPayloadDecodeFailure({ keyId: 'b', reason: 'key-missing', context: inWorkflow('moved') });
    reportPayloadDecodeFailure({ keyId: 'b', reason: 'key-missing', context: inWorkflow('closed') });
    await sleep(200);
    expect(h.failures).toHaveLength(2);
    expect(h.terminated).toEqual([]);
    expect(h.closed).toEqual([]);
  });

  it('only counts without a run to name, or with a grace of 0 (report only)', async () => {
    const noRun = harness(50, () => ({ running: true, workflowTaskAttempt: 5 }));
    stops.push(noRun.stop);
    reportPayloadDecodeFailure({ keyId: 'a', reason: 'authentication' });
    await sleep(150);
    expect(noRun.failures).toEqual([{ key_id: 'a', reason: 'authentication' }]);
    expect(noRun.terminated).toEqual([]);
    noRun.stop();

    const reportOnly = harness(0, () => ({ running: true, workflowTaskAttempt: 5 }));
    stops.push(reportOnly.stop);
    reportPayloadDecodeFailure({ keyId: 'a', reason: 'key-missing', context: inWorkflow('run-2') });
    await sleep(150);
    expect(reportOnly.failures).toHaveLength(1);
    expect(reportOnly.terminated).toEqual([]);
  });

  it('labels at most MAX_KEY_ID_LABELS key ids, the rest as other', () => {
    const h = harness(0, () => undefined);
    stops.push(h.stop);
    for (let i = 0; i <= MAX_KEY_ID_LABELS; i++) reportPayloadDecodeFailure({ keyId: `k${i}`, reason: 'key-missing' });
    reportPayloadDecodeFailure({ keyId: 'k0', reason: 'key-missing' });
    expect(h.failures.map((t) => t.key_id)).toEqual([
      ...Array.from({ length: MAX_KEY_ID_LABELS }, (_, i) => `k${i}`),
      'other',
      'k0',
    ]);
  });

  it('reads its grace from UNDECODABLE_RUN_GRACE_SECONDS, 60 s by default, and rejects nonsense by name', () => {
    expect(undecodableRunGraceMsFromEnv({})).toBe(60_000);
    expect(undecodableRunGraceMsFromEnv({ UNDECODABLE_RUN_GRACE_SECONDS: '0' })).toBe(0);
    expect(() => undecodableRunGraceMsFromEnv({ UNDECODABLE_RUN_GRACE_SECONDS: '-1' })).toThrow(
      /UNDECODABLE_RUN_GRACE_SECONDS/,
    );
  });
});
