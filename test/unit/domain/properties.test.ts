import fc from 'fast-check';
import { DEFAULT_VALIDATION_LIMITS, toEvents, renderSubmission, validateSubmission } from '../../../src/domain';
import { base64 } from './spec-example';

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((octets) => octets.join('.'));
const hostileString = fc.string({ unit: 'binary', maxLength: 40 });

const newProcess = fc.record({ cmdl: hostileString, user: hostileString });
const networkConnection = fc.record({
  source_ip: ipv4,
  destination_ip: ipv4,
  destination_port: fc.integer({ min: 0, max: 65535 }),
});

// ISO 8601 as sensors write it: UTC with Z, an offset, or device-local (Python isoformat) with 0-9 fraction digits.
const timeCreated = fc
  .tuple(
    fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
    fc.constantFrom('Z', '+00:00', '-07:30', '+14:00', ''),
    fc.integer({ min: 0, max: 9 }),
    fc.integer({ min: 0, max: 999_999_999 }),
  )
  .map(([date, zone, digits, fraction]) => {
    const seconds = date.toISOString().slice(0, 19);
    const fractionText = digits === 0 ? '' : `.${String(fraction).padStart(9, '0').slice(0, digits)}`;
    return `${seconds}${fractionText}${zone}`;
  });

const submission = fc.record(
  {
    submission_id: fc.uuid(),
    device_id: fc.uuid().map((id) => id.toUpperCase()),
    time_created: timeCreated,
    events: fc.record(
      {
        new_process: fc.array(newProcess, { maxLength: 6 }),
        network_connection: fc.array(networkConnection, { maxLength: 6 }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['submission_id', 'device_id', 'time_created'] },
);

type GeneratedSubmission = typeof submission extends fc.Arbitrary<infer T> ? T : never;

// The same document serialised as a producer might: either key order of the two lists, raw or base64 (padded or not).
function serialise(
  doc: GeneratedSubmission,
  connectionsFirst: boolean,
  encoding: 'raw' | 'padded' | 'unpadded',
): string {
  const events = doc.events;
  const reordered =
    events && connectionsFirst
      ? { network_connection: events.network_connection, new_process: events.new_process }
      : events;
  const text = JSON.stringify({ ...doc, events: reordered }, null, connectionsFirst ? 2 : undefined);
  return encoding === 'raw' ? text : base64(text, encoding === 'padded');
}

describe('validator properties', () => {
  it('accepts every generated valid submission and yields its events in docs/contract.md#output order', () => {
    fc.assert(
      fc.property(
        submission,
        fc.boolean(),
        fc.constantFrom('raw' as const, 'padded' as const, 'unpadded' as const),
        (doc, connectionsFirst, encoding) => {
          const result = validateSubmission(serialise(doc, connectionsFirst, encoding));
          if (!result.valid) throw new Error(`rejected as ${result.reason}: ${result.detail}`);
          const events = toEvents(result.submission, {
            messageId: 'm',
            processedAt: new Date(0),
            includeProvenance: false,
          });
          const processes = doc.events?.new_process ?? [];
          const connections = doc.events?.network_connection ?? [];
          expect(events.map((event) => event.type)).toEqual([
            ...processes.map(() => 'new_process'),
            ...connections.map(() => 'network_connection'),
          ]);
          expect(events.slice(0, processes.length).map((event) => event.type === 'new_process' && event.cmdl)).toEqual(
            processes.map((entry) => entry.cmdl),
          );
          expect(
            events
              .slice(processes.length)
              .map((event) => event.type === 'network_connection' && event.destination_port),
          ).toEqual(connections.map((entry) => entry.destination_port));
          expect(new Set(events.map((event) => event.event_id)).size).toBe(events.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary strings, and returns a well-formed verdict', () => {
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.base64String({ maxLength: 200 }),
      fc.json({ maxDepth: 6 }),
      fc.json({ maxDepth: 6 }).map((json) => base64(json)),
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify({ submission_id: value, events: value })),
    );
    fc.assert(
      fc.property(body, (text) => {
        const result = validateSubmission(text);
        expect(typeof result.valid).toBe('boolean');
        if (!result.valid) expect(result.detail).not.toMatch(/[\u0000-\u001f]/);
        const transformed = renderSubmission(text, {
          messageId: 'm',
          processedAt: new Date(0),
          includeProvenance: true,
          partitionKeyField: 'device_id',
        });
        expect(transformed.valid).toBe(result.valid);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a generated valid submission once any one field is corrupted', () => {
    const corruption = fc.constantFrom(
      (doc: Record<string, unknown>) => (doc.submission_id = 'not-an-uuid'),
      (doc: Record<string, unknown>) => (doc.device_id = null),
      (doc: Record<string, unknown>) => delete doc.time_created,
      (doc: Record<string, unknown>) => (doc.__proto__extra = 1),
      (doc: Record<string, unknown>) => (doc.events = { new_process: [{ cmdl: null, user: 'john' }] }),
      (doc: Record<string, unknown>) =>
        (doc.events = {
          network_connection: [{ source_ip: '1.2.3.4', destination_ip: 'not-an-ip', destination_port: 1 }],
        }),
      (doc: Record<string, unknown>) =>
        (doc.events = {
          network_connection: [{ source_ip: '1.2.3.4', destination_ip: '1.2.3.4', destination_port: 65536 }],
        }),
    );
    fc.assert(
      fc.property(submission, corruption, (doc, corrupt) => {
        const copy: Record<string, unknown> = { ...doc };
        corrupt(copy);
        // Strict policy: an unknown key is one of the corruptions.
        expect(validateSubmission(JSON.stringify(copy), DEFAULT_VALIDATION_LIMITS, 'reject').valid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
