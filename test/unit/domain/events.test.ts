import {
  eventIdFor,
  telemetryEventSchema,
  toEvents,
  validateSubmission,
  type Submission,
  type RenderContext,
} from '../../../src/domain';
import { base64, DEVICE_ID, SPEC_EXAMPLE_TEXT, SUBMISSION_ID } from './spec-example';

const MESSAGE_ID = '059f36b4-87a3-44ab-83d2-661975830a7d';
const ctx: RenderContext = {
  messageId: MESSAGE_ID,
  processedAt: new Date('2026-11-28T05:44:18.592Z'),
  includeProvenance: false,
};

function submissionOf(body: string): Submission {
  const result = validateSubmission(body);
  if (!result.valid) throw new Error(`expected a valid submission, got ${result.reason}: ${result.detail}`);
  return result.submission;
}

describe('toEvents', () => {
  it.each([
    ['JSON text', SPEC_EXAMPLE_TEXT],
    ['padded base64', base64(SPEC_EXAMPLE_TEXT)],
    ['unpadded base64', base64(SPEC_EXAMPLE_TEXT, false)],
  ])(
    'turns the docs/contract.md#input example (%s) into exactly the docs/contract.md#output events',
    (_label, body) => {
      const events = toEvents(submissionOf(body), ctx);
      expect(events).toStrictEqual([
        {
          cmdl: 'notepad.exe',
          user: 'john',
          type: 'new_process',
          event_id: eventIdFor(MESSAGE_ID, 0),
          device_id: DEVICE_ID,
          time_created: '2026-11-28T05:44:18.592Z',
        },
        {
          source_ip: '192.168.0.2',
          destination_ip: '23.13.252.39',
          destination_port: 43696,
          type: 'network_connection',
          event_id: eventIdFor(MESSAGE_ID, 1),
          device_id: DEVICE_ID,
          time_created: '2026-11-28T05:44:18.592Z',
        },
      ]);
      // The key order of the serialised record follows docs/contract.md#output's examples.
      expect(Object.keys(events[0] ?? {})).toEqual(['cmdl', 'user', 'type', 'event_id', 'device_id', 'time_created']);
      expect(Object.keys(events[1] ?? {})).toEqual([
        'source_ip',
        'destination_ip',
        'destination_port',
        'type',
        'event_id',
        'device_id',
        'time_created',
      ]);
      for (const event of events) expect(telemetryEventSchema.parse(event)).toStrictEqual(event);
    },
  );

  it('puts all new_process events first, each list in array order, when network_connection comes first in the text', () => {
    const text = `{"events": {
      "network_connection": [
        {"source_ip": "10.0.0.1", "destination_ip": "10.0.0.2", "destination_port": 1},
        {"source_ip": "10.0.0.1", "destination_ip": "10.0.0.2", "destination_port": 2}
      ],
      "new_process": [{"cmdl": "a", "user": "u"}, {"cmdl": "b", "user": "u"}, {"cmdl": "c", "user": "u"}]
    }, "time_created": "2021-03-28T15:44:18Z", "device_id": "${DEVICE_ID}", "submission_id": "${SUBMISSION_ID}"}`;
    const events = toEvents(submissionOf(text), ctx);
    expect(events.map((event) => (event.type === 'new_process' ? event.cmdl : event.destination_port))).toEqual([
      'a',
      'b',
      'c',
      1,
      2,
    ]);
    expect(events.map((event) => event.event_id)).toEqual([0, 1, 2, 3, 4].map((i) => eventIdFor(MESSAGE_ID, i)));
  });

  it.each([
    [
      'no events key',
      `{"submission_id":"${SUBMISSION_ID}","device_id":"${DEVICE_ID}","time_created":"2021-03-28T15:44:18"}`,
    ],
    [
      'empty events',
      `{"submission_id":"${SUBMISSION_ID}","device_id":"${DEVICE_ID}","time_created":"2021-03-28T15:44:18","events":{}}`,
    ],
    [
      'empty lists',
      `{"submission_id":"${SUBMISSION_ID}","device_id":"${DEVICE_ID}","time_created":"2021-03-28T15:44:18","events":{"new_process":[],"network_connection":[]}}`,
    ],
  ])('produces nothing for %s', (_label, body) => {
    expect(toEvents(submissionOf(body), ctx)).toEqual([]);
  });

  it('handles one list absent', () => {
    const body = `{"submission_id":"${SUBMISSION_ID}","device_id":"${DEVICE_ID}","time_created":"2021-03-28T15:44:18","events":{"network_connection":[{"source_ip":"1.1.1.1","destination_ip":"2.2.2.2","destination_port":0}]}}`;
    const events = toEvents(submissionOf(body), ctx);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'network_connection',
      destination_port: 0,
      event_id: eventIdFor(MESSAGE_ID, 0),
    });
  });

  it('adds submission_id and event_index only with includeProvenance', () => {
    const events = toEvents(submissionOf(SPEC_EXAMPLE_TEXT), { ...ctx, includeProvenance: true });
    expect(events.map((event) => [event.submission_id, event.event_index])).toEqual([
      [SUBMISSION_ID, 0],
      [SUBMISSION_ID, 1],
    ]);
    expect(Object.keys(events[0] ?? {})).toEqual([
      'cmdl',
      'user',
      'type',
      'event_id',
      'device_id',
      'time_created',
      'submission_id',
      'event_index',
    ]);
    for (const event of events) expect(telemetryEventSchema.parse(event)).toStrictEqual(event);
  });

  it('uses the processing time, in UTC with milliseconds, never the sensor time', () => {
    const events = toEvents(submissionOf(SPEC_EXAMPLE_TEXT), {
      ...ctx,
      processedAt: new Date(Date.UTC(2026, 10, 28, 23, 59, 59, 7)),
    });
    expect(events.map((event) => event.time_created)).toEqual(['2026-11-28T23:59:59.007Z', '2026-11-28T23:59:59.007Z']);
  });

  it('keeps the device_id exactly as sent', () => {
    const upper = SPEC_EXAMPLE_TEXT.replace(DEVICE_ID, DEVICE_ID.toUpperCase());
    expect(toEvents(submissionOf(upper), ctx).map((event) => event.device_id)).toEqual([
      DEVICE_ID.toUpperCase(),
      DEVICE_ID.toUpperCase(),
    ]);
  });
});

describe('telemetryEventSchema', () => {
  const event = {
    cmdl: 'notepad.exe',
    user: 'john',
    type: 'new_process',
    event_id: eventIdFor(MESSAGE_ID, 0),
    device_id: DEVICE_ID,
    time_created: '2026-11-28T05:44:18.592Z',
  };

  it('accepts a docs/contract.md#output event and rejects extra fields, a wrong type tag and a non-UTC time', () => {
    expect(telemetryEventSchema.safeParse(event).success).toBe(true);
    expect(telemetryEventSchema.safeParse({ ...event, extra: 1 }).success).toBe(false);
    expect(telemetryEventSchema.safeParse({ ...event, type: 'network_connection' }).success).toBe(false);
    expect(telemetryEventSchema.safeParse({ ...event, time_created: '2026-11-28T05:44:18.592' }).success).toBe(false);
  });
});
