import type { SQSClient } from '@aws-sdk/client-sqs';
import { expectedEventId } from '../../../tools/fleet/event-id';
import type { ValidEntry } from '../../../tools/fleet/manifest';
import { recordKey, verifyRun } from '../../../tools/bench/load';
import { scriptedKinesis, type ScriptedRecord } from '../../helpers/scripted-kinesis';

// The benchmark's verification of a run (tools/bench/load.ts verifyRun) on a scripted stream: what it reads, it judges;
// what it could not read, or steady mode's tailer never saw, fails the run instead of leaving figures out.

const DEVICE = '31980191-fa99-4768-8a7b-0e81397ca6ef';
const SENT_AT = Date.parse('2026-11-28T12:00:00.000Z');
const SHARD = 'shardId-000000000000';

const events = [
  { type: 'new_process' as const, cmdl: 'notepad.exe', user: 'john', device_id: DEVICE },
  { type: 'new_process' as const, cmdl: 'bash', user: 'root', device_id: DEVICE },
];
const entry: ValidEntry = {
  kind: 'submission',
  status: 'valid',
  seq: 0,
  messageId: 'msg-1',
  sentAt: new Date(SENT_AT).toISOString(),
  encoding: 'base64',
  bodyBytes: 100,
  submissionId: 'sub-1',
  deviceId: DEVICE,
  partitionKey: DEVICE,
  events,
  eventIds: events.map((_, i) => expectedEventId('msg-1', i)),
};
const records: ScriptedRecord[] = events.map((event, i) => ({
  sequenceNumber: String(1000 + i),
  partitionKey: DEVICE,
  data: JSON.stringify({ ...event, event_id: entry.eventIds[i], time_created: new Date(SENT_AT + 200).toISOString() }),
  arrivalTime: new Date(SENT_AT + 300 + i),
}));
// Never called: no queue URL is given.
const sqs = {} as SQSClient;

describe('verifyRun', () => {
  it('passes a complete stream, with steady-mode latency from the tailer', async () => {
    const { client } = scriptedKinesis({ [SHARD]: records });
    const readableAt = new Map(records.map((r, i) => [recordKey({ shardId: SHARD, ...r }), SENT_AT + 400 + i]));
    const out = await verifyRun({ sqs, kinesis: client }, [entry], 'events', null, 0, { readableAt, sentFromMs: 0 });
    expect(out.figures.ok).toBe(true);
    expect(out.latency).toMatchObject({ count: 2, max: 401 });
  });

  it('fails steady mode when the tailer missed a record, instead of leaving it out of the percentiles', async () => {
    const { client } = scriptedKinesis({ [SHARD]: records });
    const first = records[0];
    if (!first) throw new Error('fixture');
    const readableAt = new Map([[recordKey({ shardId: SHARD, ...first }), SENT_AT + 400]]);
    const out = await verifyRun({ sqs, kinesis: client }, [entry], 'events', null, 0, { readableAt, sentFromMs: 0 });
    expect(out.figures.ok).toBe(false);
    expect(out.figures.detail).toMatch(/tailer_missed=1/);
  });

  it('fails when a shard could not be read to its tip', async () => {
    const { client } = scriptedKinesis(
      { [SHARD]: records, 'shardId-000000000001': [] },
      {
        lagging: { 'shardId-000000000001': Infinity },
      },
    );
    const out = await verifyRun({ sqs, kinesis: client }, [entry], 'events', null);
    expect(out.figures.ok).toBe(false);
    expect(out.figures.detail).toMatch(/stream_read_incomplete=1/);
  });
});
