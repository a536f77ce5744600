import { expectedEventId } from '../../../tools/fleet/event-id';
import type { BrokenEntry, ExpectedEvent, SubmissionEntry, ValidEntry } from '../../../tools/fleet/manifest';
import { judge, type CheckCode, type JudgeReport } from '../../../tools/verify/judge';
import type { StreamRecord } from '../../../tools/verify/stream-reader';

const DEVICE_A = '31980191-fa99-4768-8a7b-0e81397ca6ef';
const DEVICE_B = '8be01974-0f15-4d4f-809f-257a6de4d3f9';
const SENT_AT = '2026-11-28T12:00:00.000Z';
const PROCESSED_AT = '2026-11-28T12:00:31.123Z';

type EventInput = ExpectedEvent extends infer E ? (E extends ExpectedEvent ? Omit<E, 'device_id'> : never) : never;

function validEntry(messageId: string, deviceId: string, events: EventInput[]): ValidEntry {
  const full = events.map((e): ExpectedEvent => ({ ...e, device_id: deviceId }));
  return {
    kind: 'submission',
    status: 'valid',
    seq: 0,
    messageId,
    sentAt: SENT_AT,
    encoding: 'base64',
    bodyBytes: 100,
    submissionId: `sub-${messageId}`,
    deviceId,
    partitionKey: deviceId,
    events: full,
    eventIds: full.map((_, i) => expectedEventId(messageId, i)),
  };
}

function brokenEntry(messageId: string): BrokenEntry {
  return {
    kind: 'submission',
    status: 'broken',
    seq: 0,
    messageId,
    sentAt: SENT_AT,
    encoding: 'base64',
    bodyBytes: 100,
    brokenClass: 'null_cmdl',
    eventCountHint: 4,
    deviceId: DEVICE_B,
  };
}

const manifest: SubmissionEntry[] = [
  validEntry('msg-1', DEVICE_A, [
    { type: 'new_process', cmdl: 'notepad.exe', user: 'john' },
    { type: 'new_process', cmdl: 'C:\\Windows\\cmd.exe /c "echo ü"', user: 'CORP\\alice' },
    { type: 'network_connection', source_ip: '192.168.0.2', destination_ip: '23.13.252.39', destination_port: 0 },
  ]),
  validEntry('msg-2', DEVICE_B, [
    { type: 'network_connection', source_ip: '10.0.0.9', destination_ip: '8.8.8.8', destination_port: 65535 },
    { type: 'new_process', cmdl: 'bash', user: 'root' },
  ]),
  validEntry('msg-3', DEVICE_A, []),
  brokenEntry('msg-bad'),
];

/** What a correct product writes: the contract's output fields, ids from the message id, one shard per device, rising sequence numbers. */
function cleanStream(): StreamRecord[] {
  const seqs: Record<string, bigint> = {
    'shardId-000000000000': 49600000000000000000000000000000000000000n,
    'shardId-000000000001': 49600000000000000000000000000000000000000n,
  };
  const records: StreamRecord[] = [];
  for (const entry of manifest) {
    if (entry.status !== 'valid') continue;
    const shardId = entry.deviceId === DEVICE_A ? 'shardId-000000000000' : 'shardId-000000000001';
    entry.events.forEach((event, i) => {
      const seq = (seqs[shardId] ?? 0n) + 1000n;
      seqs[shardId] = seq;
      records.push({
        shardId,
        sequenceNumber: seq.toString(),
        partitionKey: entry.deviceId,
        data: JSON.stringify({ ...event, event_id: entry.eventIds[i], time_created: PROCESSED_AT }),
        arrivalTime: new Date(Date.parse(SENT_AT) + 31_500 + i),
      });
    });
  }
  return records;
}

function failing(report: JudgeReport): CheckCode[] {
  return (Object.keys(report.checks) as CheckCode[]).filter((c) => report.checks[c].violation);
}

function mutate(records: StreamRecord[], index: number, f: (fields: Record<string, unknown>) => void): StreamRecord[] {
  return records.map((r, i) => {
    if (i !== index) return r;
    const fields = JSON.parse(r.data) as Record<string, unknown>;
    f(fields);
    return { ...r, data: JSON.stringify(fields) };
  });
}

describe('judge', () => {
  it('passes a clean stream, with counts and latency', () => {
    const report = judge(manifest, cleanStream(), { queue: { visible: 0, notVisible: 0 } });
    expect(failing(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({
      expectedEvents: 5,
      records: 5,
      deliveredEvents: 5,
      shards: 2,
      brokenSubmissions: 1,
    });
    expect(report.latencyMs?.p50).toBeGreaterThanOrEqual(31_500);
  });

  it('leaves submissions sent before latencySentFromMs out of the latency, and still judges them', () => {
    // msg-2 was sent a second later and its events arrived 100 ms after it: only they count once msg-1 is warm-up.
    const later = new Date(Date.parse(SENT_AT) + 1000).toISOString();
    const entries = manifest.map((e) => (e.messageId === 'msg-2' ? { ...e, sentAt: later } : e));
    // Processed 50 ms after the send, so time_created lies between the send and the arrival.
    const processed = new Date(Date.parse(later) + 50).toISOString();
    const records = cleanStream().map((r) =>
      r.partitionKey === DEVICE_B
        ? { ...r, data: r.data.replace(PROCESSED_AT, processed), arrivalTime: new Date(Date.parse(later) + 100) }
        : r,
    );
    const all = judge(entries, records);
    const measured = judge(entries, records, { latencySentFromMs: Date.parse(later) });
    expect(all.latencyMs).toMatchObject({ count: 5, max: 31_502 });
    expect(measured.latencyMs).toEqual({ count: 2, p50: 100, p95: 100, p99: 100, max: 100 });
    expect(measured.ok).toBe(true);
    expect(measured.counts.deliveredEvents).toBe(5);
  });

  it('catches a lost event', () => {
    const report = judge(
      manifest,
      cleanStream().filter((_, i) => i !== 1),
    );
    expect(failing(report)).toEqual(['lost']);
    expect(report.checks.lost.examples[0]).toMatchObject({ messageId: 'msg-1', index: 1 });
  });

  describe('in-flight mode (a running system: what is still queued is not lost)', () => {
    const withoutMsg2 = (): StreamRecord[] => cleanStream().filter((r) => r.shardId !== 'shardId-000000000001');

    it('counts missing events of submissions sent within the grace period as in flight, and passes', () => {
      const report = judge(manifest, withoutMsg2(), { inFlightSince: new Date(Date.parse(SENT_AT) - 1000) });
      expect(failing(report)).toEqual([]);
      expect(report.checks.in_flight.count).toBe(2);
      expect(report.checks.lost.count).toBe(0);
      expect(report.ok).toBe(true);
    });

    it('still judges submissions older than the grace period as lost', () => {
      const report = judge(manifest, withoutMsg2(), { inFlightSince: new Date(Date.parse(SENT_AT) + 1) });
      expect(failing(report)).toEqual(['lost']);
      expect(report.checks.lost.count).toBe(2);
      expect(report.checks.in_flight.count).toBe(0);
    });

    it('without the mode every missing event is lost', () => {
      const report = judge(manifest, withoutMsg2());
      expect(report.checks.lost.count).toBe(2);
      expect(report.ok).toBe(false);
    });
  });

  it('catches a reordered pair', () => {
    const records = cleanStream();
    const [a, b] = [records[0], records[1]];
    if (!a || !b) throw new Error('fixture');
    records[0] = { ...a, sequenceNumber: b.sequenceNumber };
    records[1] = { ...b, sequenceNumber: a.sequenceNumber };
    expect(failing(judge(manifest, records))).toEqual(['order']);
  });

  it('compares sequence numbers as big integers, not strings', () => {
    const records = cleanStream().map((r, i) =>
      i === 2 ? { ...r, sequenceNumber: '4960000000000000000000000000000000000000099999' } : r,
    );
    // '...99999' sorts before a shorter-but-larger string lexically; numerically it is the largest, so order holds.
    expect(failing(judge(manifest, records))).toEqual([]);
  });

  it('catches a leaked event of a broken submission', () => {
    const leak: StreamRecord = {
      shardId: 'shardId-000000000001',
      sequenceNumber: '49600000000000000000000000000000000000000999999',
      partitionKey: DEVICE_B,
      data: JSON.stringify({
        type: 'new_process',
        cmdl: 'x',
        user: 'y',
        device_id: DEVICE_B,
        event_id: expectedEventId('msg-bad', 0),
        time_created: PROCESSED_AT,
      }),
    };
    const report = judge(manifest, [...cleanStream(), leak]);
    expect(failing(report)).toEqual(['leaked']);
  });

  it('catches a duplicate with a different id', () => {
    const records = cleanStream();
    const copy = records[0];
    if (!copy) throw new Error('fixture');
    const fields = JSON.parse(copy.data) as Record<string, unknown>;
    records.push({
      ...copy,
      sequenceNumber: '49600000000000000000000000000000000000009999',
      data: JSON.stringify({ ...fields, event_id: '0d9b3f5e-5d0c-4c59-9a7e-5b8a2c1f0e11' }),
    });
    expect(failing(judge(manifest, records, { allowDuplicates: true }))).toEqual(['duplicate_different_id']);
  });

  it('allows same-id duplicates only in fault mode', () => {
    const records = cleanStream();
    const copy = records[2];
    if (!copy) throw new Error('fixture');
    records.push({ ...copy, sequenceNumber: '49600000000000000000000000000000000000009999' });
    const strict = judge(manifest, records);
    expect(failing(strict)).toEqual(['duplicate_same_id']);
    expect(strict.counts.duplicateRecords).toBe(1);
    const faults = judge(manifest, records, { allowDuplicates: true });
    expect(faults.ok).toBe(true);
    expect(faults.checks.duplicate_same_id.count).toBe(1);
  });

  it('judges order on first copies: a late same-id duplicate does not reorder', () => {
    const records = cleanStream();
    const first = records[0];
    if (!first) throw new Error('fixture');
    records.push({ ...first, sequenceNumber: '49600000000000000000000000000000000000009999' });
    expect(judge(manifest, records, { allowDuplicates: true }).ok).toBe(true);
  });

  it('catches a wrong field type', () => {
    const report = judge(
      manifest,
      mutate(cleanStream(), 2, (f) => (f['destination_port'] = '0')),
    );
    expect(failing(report)).toEqual(['wrong_shape', 'wrong_value']);
  });

  it('catches a wrong value and a missing field', () => {
    expect(
      failing(
        judge(
          manifest,
          mutate(cleanStream(), 0, (f) => (f['user'] = 'jane')),
        ),
      ),
    ).toEqual(['wrong_value']);
    expect(
      failing(
        judge(
          manifest,
          mutate(cleanStream(), 0, (f) => delete f['device_id']),
        ),
      ),
    ).toEqual(['wrong_shape', 'wrong_value']);
  });

  it('catches an extra field, unless allowed as provenance', () => {
    const records = mutate(cleanStream(), 0, (f) => (f['submission_id'] = 'sub-msg-1'));
    expect(failing(judge(manifest, records))).toEqual(['extra_field']);
    expect(judge(manifest, records, { allowedExtraFields: ['submission_id'] }).ok).toBe(true);
  });

  it('catches events of one submission split over two shards', () => {
    const records = cleanStream().map((r, i) => (i === 1 ? { ...r, shardId: 'shardId-000000000001' } : r));
    expect(failing(judge(manifest, records))).toEqual(['split_shards']);
  });

  it('catches a time_created that is local, zoned or earlier than the send', () => {
    expect(
      failing(
        judge(
          manifest,
          mutate(cleanStream(), 0, (f) => (f['time_created'] = '2026-11-28T12:00:31.123')),
        ),
      ),
    ).toEqual(['bad_time_created']);
    expect(
      failing(
        judge(
          manifest,
          mutate(cleanStream(), 0, (f) => (f['time_created'] = '2026-11-28T13:00:31.123+01:00')),
        ),
      ),
    ).toEqual(['bad_time_created']);
    expect(
      failing(
        judge(
          manifest,
          mutate(cleanStream(), 0, (f) => (f['time_created'] = '2026-11-28T11:59:59.000Z')),
        ),
      ),
    ).toEqual(['bad_time_created']);
  });

  it('catches a wrong partition key, unparseable records, unexpected records and extra events', () => {
    const records = cleanStream();
    const r0 = records[0];
    if (!r0) throw new Error('fixture');
    records[0] = { ...r0, partitionKey: 'sub-msg-1' };
    expect(failing(judge(manifest, records))).toEqual(['wrong_partition_key']);
    expect(judge(manifest, records, { partitionKey: 'any' }).ok).toBe(true);

    const garbage: StreamRecord = { ...r0, sequenceNumber: '1', data: 'not json' };
    expect(failing(judge(manifest, [...cleanStream(), garbage]))).toEqual(['unparseable_record']);

    const stranger: StreamRecord = {
      ...r0,
      sequenceNumber: '2',
      data: JSON.stringify({
        type: 'new_process',
        cmdl: 'zzz',
        user: 'q',
        event_id: '0d9b3f5e-5d0c-4c59-9a7e-5b8a2c1f0e11',
      }),
    };
    expect(failing(judge(manifest, [...cleanStream(), stranger]))).toEqual(['unexpected']);
    expect(judge(manifest, [...cleanStream(), stranger], { allowUnexpected: true }).ok).toBe(true);

    const extra: StreamRecord = {
      ...r0,
      sequenceNumber: '3',
      data: JSON.stringify({ type: 'new_process', cmdl: 'zzz', user: 'q', event_id: expectedEventId('msg-1', 3) }),
    };
    expect(failing(judge(manifest, [...cleanStream(), extra]))).toEqual(['extra_event']);
  });

  describe('time_created: a real instant between the send and the arrival, one per delivery', () => {
    const at = (ms: number): string => new Date(Date.parse(SENT_AT) + ms).toISOString();

    it('catches a time_created later than the record arrived on the stream, beyond the clock margin', () => {
      // cleanStream's records arrive 31.5 s after the send; this one claims to be processed 40 s after it.
      const late = mutate(cleanStream(), 0, (f) => (f['time_created'] = at(40_000)));
      const report = judge(manifest, late);
      expect(failing(report)).toEqual(['bad_time_created']);
      expect(report.checks.bad_time_created.examples).toContainEqual(
        expect.objectContaining({ reason: 'after its arrival on the stream', index: 0 }),
      );
      // The other events of the delivery keep the first time: the margin covers the arrival, not that difference.
      const wholeDelivery = cleanStream().map((r) =>
        r.partitionKey === DEVICE_A ? { ...r, data: r.data.replace(PROCESSED_AT, at(31_900)) } : r,
      );
      expect(failing(judge(manifest, wholeDelivery))).toEqual(['bad_time_created']);
      expect(judge(manifest, wholeDelivery, { clockSkewMs: 500 }).ok).toBe(true);
    });

    it('catches a date that does not exist even where Date.parse rolls it over into the window', () => {
      // 2026-11-31 is read by V8 as 2026-12-01: between this send and this arrival.
      const entry: ValidEntry = {
        ...validEntry('msg-dec', DEVICE_A, [{ type: 'new_process', cmdl: 'a', user: 'b' }]),
        sentAt: '2026-12-01T00:00:00.000Z',
      };
      const record = (timeCreated: string): StreamRecord => ({
        shardId: 'shardId-000000000000',
        sequenceNumber: '1000',
        partitionKey: DEVICE_A,
        data: JSON.stringify({ ...entry.events[0], event_id: entry.eventIds[0], time_created: timeCreated }),
        arrivalTime: new Date('2026-12-01T00:00:02.000Z'),
      });
      expect(judge([entry], [record('2026-12-01T00:00:01.000Z')]).ok).toBe(true);
      const report = judge([entry], [record('2026-11-31T00:00:01.000Z')]);
      expect(failing(report)).toEqual(['bad_time_created']);
      expect(report.checks.bad_time_created.examples[0]).toMatchObject({
        reason: 'not a calendar instant in ISO 8601 UTC with Z',
      });
    });

    it('catches two times among the events of one delivery', () => {
      // Event 1 of msg-1 stamped 100 ms later than its siblings: within the send and the arrival, but a second time.
      const report = judge(
        manifest,
        mutate(cleanStream(), 1, (f) => (f['time_created'] = at(31_223))),
      );
      expect(failing(report)).toEqual(['bad_time_created']);
      expect(report.checks.bad_time_created.examples[0]).toMatchObject({ messageId: 'msg-1', index: 1 });
    });

    it('allows a redelivered copy a later time, also when the redelivery stopped part way', () => {
      const records = cleanStream();
      const redelivered = records
        .filter((r) => r.partitionKey === DEVICE_A)
        .slice(0, 2)
        .map((r, i) => ({
          ...r,
          sequenceNumber: `4960000000000000000000000000000000000000900${i}`,
          data: r.data.replace(PROCESSED_AT, at(31_300)),
          arrivalTime: new Date(Date.parse(SENT_AT) + 31_400),
        }));
      const report = judge(manifest, [...records, ...redelivered], { allowDuplicates: true });
      expect(failing(report)).toEqual([]);
      expect(report.checks.duplicate_same_id.count).toBe(2);
    });

    it('catches a copy whose time no copy of the first event has (not one time per delivery)', () => {
      const records = cleanStream();
      const last = records[2];
      if (!last) throw new Error('fixture');
      records.push({
        ...last,
        sequenceNumber: '49600000000000000000000000000000000000009999',
        data: last.data.replace(PROCESSED_AT, at(31_300)),
      });
      expect(failing(judge(manifest, records, { allowDuplicates: true }))).toEqual(['bad_time_created']);
    });
  });

  describe('nothing judged is no pass', () => {
    it('fails on an empty manifest', () => {
      const report = judge([], []);
      expect(failing(report)).toEqual(['nothing_judged']);
      expect(report.ok).toBe(false);
      expect(report.counts.judgedSubmissions).toBe(0);
    });

    it('fails when every submission may still be in flight, and judges those old enough', () => {
      const stillQueued = judge(manifest, [], { inFlightSince: new Date(Date.parse(SENT_AT) - 1000) });
      expect(failing(stillQueued)).toEqual(['nothing_judged']);
      expect(stillQueued.checks.in_flight.count).toBe(5);
      const judged = judge(manifest, cleanStream(), { inFlightSince: new Date(Date.parse(SENT_AT) - 1000) });
      expect(judged.ok).toBe(true);
      // msg-1 and msg-2 are on the stream; msg-3 (no events) and the broken one may still wait in the queue.
      expect(judged.counts.judgedSubmissions).toBe(2);
    });

    it('judges a manifest of broken submissions only (the leak check)', () => {
      const report = judge([brokenEntry('msg-bad')], []);
      expect(report.ok).toBe(true);
      expect(report.counts.judgedSubmissions).toBe(1);
    });
  });

  it('with allowUnexpected, still fails a copy of an expected event under another event_id', () => {
    const records = cleanStream();
    const copy = records[0];
    if (!copy) throw new Error('fixture');
    const fields = JSON.parse(copy.data) as Record<string, unknown>;
    records.push({
      ...copy,
      sequenceNumber: '49600000000000000000000000000000000000009999',
      data: JSON.stringify({ ...fields, event_id: '0d9b3f5e-5d0c-4c59-9a7e-5b8a2c1f0e11' }),
    });
    const report = judge(manifest, records, { allowUnexpected: true, allowDuplicates: true });
    expect(failing(report)).toEqual(['duplicate_different_id']);
    expect(report.ok).toBe(false);
  });

  it('fails a verdict on a stream read that gave up on a shard', () => {
    const report = judge(manifest, cleanStream(), { incompleteShards: ['shardId-000000000001'] });
    expect(failing(report)).toEqual(['stream_read_incomplete']);
    expect(report.ok).toBe(false);
  });

  it('fails when the queue is not empty', () => {
    expect(failing(judge(manifest, cleanStream(), { queue: { visible: 0, notVisible: 2 } }))).toEqual([
      'queue_not_empty',
    ]);
  });

  it('fails when the dead-letter queue holds anything (lost telemetry hides there)', () => {
    const drained = { visible: 0, notVisible: 0 };
    expect(failing(judge(manifest, cleanStream(), { queue: drained, deadLetterQueue: drained }))).toEqual([]);
    expect(
      failing(judge(manifest, cleanStream(), { queue: drained, deadLetterQueue: { visible: 3, notVisible: 0 } })),
    ).toEqual(['dead_letter_not_empty']);
  });
});
