import {
  DEFAULT_VALIDATION_LIMITS,
  INVALID_REASONS,
  validateSubmission,
  validationLimitsSchema,
  type InvalidReason,
  type Validation,
} from '../../../src/domain';
import { base64, DEVICE_ID, SPEC_EXAMPLE_TEXT, SUBMISSION_ID, validDocument, validEvents } from './spec-example';

type Document = Record<string, unknown>;

function withChange(change: (doc: Document, events: Document) => void): string {
  const events = validEvents();
  const doc: Document = { ...validDocument(), events };
  change(doc, events);
  return JSON.stringify(doc);
}

function withEntry(list: 'new_process' | 'network_connection', entry: Document): string {
  return withChange((_doc, events) => {
    events[list] = [entry];
  });
}

const connection = (change: Document): Document => ({
  source_ip: '192.168.0.2',
  destination_ip: '23.13.252.39',
  destination_port: 43696,
  ...change,
});

function reasonOf(result: Validation): InvalidReason | 'valid' {
  return result.valid ? 'valid' : result.reason;
}

const strict = (body: string, limits = DEFAULT_VALIDATION_LIMITS) => validateSubmission(body, limits, 'reject');

const nested = (depth: number): string => `{"submission_id":${'['.repeat(depth)}${']'.repeat(depth)}}`;

// One or more examples per reason code; the final test checks that this table covers every code.
const INVALID_EXAMPLES: [InvalidReason, string, string][] = [
  ['body_too_large', 'over maxBodyBytes', ' '.repeat(DEFAULT_VALIDATION_LIMITS.maxBodyBytes + 1)],
  ['undecodable_body', 'neither JSON nor base64', 'definitely not json'],
  ['invalid_json', 'truncated JSON text', SPEC_EXAMPLE_TEXT.slice(0, 40)],
  ['invalid_json', 'base64 of non-JSON text', base64('not json at all')],
  ['too_deeply_nested', '33 levels', nested(32)],
  ['not_an_object', 'array', '[]'],
  ['not_an_object', 'base64 of a number', base64('42')],
  ['not_an_object', 'base64 of null', base64('null')],
  ['missing_field', 'empty object', '{}'],
  ['missing_field', 'no device_id', withChange((doc) => delete doc.device_id)],
  ['missing_field', 'no user', withEntry('new_process', { cmdl: 'a' })],
  [
    'missing_field',
    'no destination_port',
    withEntry('network_connection', { source_ip: '1.2.3.4', destination_ip: '1.2.3.4' }),
  ],
  ['unknown_field', 'top-level extra key', withChange((doc) => (doc.extra = 1))],
  ['unknown_field', 'extra key in an entry', withEntry('new_process', { cmdl: 'a', user: 'b', pid: 4 })],
  ['unknown_field', 'upper-case key', withChange((doc) => (doc.Device_Id = DEVICE_ID))],
  ['wrong_type', 'cmdl: null (original fleet)', withEntry('new_process', { cmdl: null, user: 'john' })],
  ['wrong_type', 'user: number', withEntry('new_process', { cmdl: 'a', user: 7 })],
  ['wrong_type', 'port as a string', withEntry('network_connection', connection({ destination_port: '80' }))],
  ['wrong_type', 'port: null', withEntry('network_connection', connection({ destination_port: null }))],
  ['wrong_type', 'events: array', withChange((doc) => (doc.events = []))],
  ['wrong_type', 'events: null', withChange((doc) => (doc.events = null))],
  ['wrong_type', 'list: object', withChange((_doc, events) => (events.new_process = {}))],
  ['wrong_type', 'entry: string', withChange((_doc, events) => (events.new_process = ['notepad.exe']))],
  ['wrong_type', 'submission_id: number', withChange((doc) => (doc.submission_id = 1))],
  [
    'invalid_uuid',
    'submission_id "not-an-uuid" (original fleet)',
    withChange((doc) => (doc.submission_id = 'not-an-uuid')),
  ],
  ['invalid_uuid', 'device_id "not-an-uuid" (original fleet)', withChange((doc) => (doc.device_id = 'not-an-uuid'))],
  ['invalid_uuid', 'braces', withChange((doc) => (doc.device_id = `{${DEVICE_ID}}`))],
  ['invalid_uuid', 'no hyphens', withChange((doc) => (doc.device_id = DEVICE_ID.replace(/-/g, '')))],
  ['invalid_uuid', 'trailing space', withChange((doc) => (doc.device_id = `${DEVICE_ID} `))],
  ['invalid_time_created', 'date only', withChange((doc) => (doc.time_created = '2021-03-28'))],
  ['invalid_time_created', 'space separator', withChange((doc) => (doc.time_created = '2021-03-28 15:44:18'))],
  ['invalid_time_created', 'no such day', withChange((doc) => (doc.time_created = '2021-02-29T15:44:18'))],
  ['invalid_time_created', 'hour 24', withChange((doc) => (doc.time_created = '2021-03-28T24:00:00'))],
  [
    'invalid_time_created',
    'offset without colon',
    withChange((doc) => (doc.time_created = '2021-03-28T15:44:18+0200')),
  ],
  ['invalid_time_created', 'epoch number as string', withChange((doc) => (doc.time_created = '1616946258'))],
  [
    'invalid_time_created',
    'absurdly precise',
    withChange((doc) => (doc.time_created = `2021-03-28T15:44:18.${'1'.repeat(80)}`)),
  ],
  [
    'invalid_ipv4',
    'destination_ip "not-an-ip" (original fleet)',
    withEntry('network_connection', connection({ destination_ip: 'not-an-ip' })),
  ],
  ['invalid_ipv4', 'leading zero', withEntry('network_connection', connection({ source_ip: '01.2.3.4' }))],
  ['invalid_ipv4', 'octet 256', withEntry('network_connection', connection({ source_ip: '256.1.1.1' }))],
  ['invalid_ipv4', 'three octets', withEntry('network_connection', connection({ source_ip: '1.2.3' }))],
  ['invalid_ipv4', 'five octets', withEntry('network_connection', connection({ source_ip: '1.2.3.4.5' }))],
  ['invalid_ipv4', 'leading space', withEntry('network_connection', connection({ source_ip: ' 1.2.3.4' }))],
  ['invalid_ipv4', 'trailing newline', withEntry('network_connection', connection({ destination_ip: '1.2.3.4\n' }))],
  ['invalid_ipv4', 'IPv6', withEntry('network_connection', connection({ destination_ip: '::1' }))],
  [
    'invalid_ipv4',
    'IPv4-mapped IPv6',
    withEntry('network_connection', connection({ destination_ip: '::ffff:1.2.3.4' })),
  ],
  ['invalid_ipv4', 'CIDR', withEntry('network_connection', connection({ destination_ip: '10.0.0.0/8' }))],
  ['invalid_ipv4', 'empty', withEntry('network_connection', connection({ destination_ip: '' }))],
  ['invalid_port', '-1', withEntry('network_connection', connection({ destination_port: -1 }))],
  ['invalid_port', '65536', withEntry('network_connection', connection({ destination_port: 65536 }))],
  ['invalid_port', '1.5', withEntry('network_connection', connection({ destination_port: 1.5 }))],
  ['invalid_port', '1e300', withEntry('network_connection', connection({ destination_port: 1e300 }))],
  ['unknown_event_type', 'file_write list', withChange((_doc, events) => (events.file_write = []))],
  [
    'too_many_events',
    'one list over the limit',
    withChange((_doc, events) => (events.new_process = Array.from({ length: 1001 }, () => ({ cmdl: 'a', user: 'b' })))),
  ],
  [
    'too_many_events',
    'two lists together over the limit',
    withChange((_doc, events) => {
      events.new_process = Array.from({ length: 500 }, () => ({ cmdl: 'a', user: 'b' }));
      events.network_connection = Array.from({ length: 501 }, () => connection({}));
    }),
  ],
  ['field_too_long', 'cmdl over maxFieldLength', withEntry('new_process', { cmdl: 'x'.repeat(8193), user: 'john' })],
  ['field_too_long', 'user over maxFieldLength', withEntry('new_process', { cmdl: 'a', user: 'u'.repeat(8193) })],
];

describe('validateSubmission', () => {
  it.each([
    ['JSON text', SPEC_EXAMPLE_TEXT],
    ['padded base64', base64(SPEC_EXAMPLE_TEXT)],
    ['unpadded base64', base64(SPEC_EXAMPLE_TEXT, false)],
  ])('accepts the docs/contract.md#input example as %s', (_label, body) => {
    expect(validateSubmission(body)).toEqual({
      valid: true,
      submission: {
        submission_id: SUBMISSION_ID,
        device_id: DEVICE_ID,
        time_created: '2021-03-28T15:44:18.592840',
        events: {
          new_process: [{ cmdl: 'notepad.exe', user: 'john' }],
          network_connection: [{ source_ip: '192.168.0.2', destination_ip: '23.13.252.39', destination_port: 43696 }],
        },
      },
      unknownFields: [],
    });
  });

  // The table is judged under the strict policy, where unknown fields are a reason of their own.
  it.each(INVALID_EXAMPLES)('rejects as %s: %s', (reason, _label, body) => {
    const result = strict(body);
    expect(reasonOf(result)).toBe(reason);
    if (!result.valid) expect(result.detail.length).toBeGreaterThan(0);
  });

  it('rejects every invalid example also when base64-encoded (except encoding-level ones)', () => {
    for (const [reason, label, body] of INVALID_EXAMPLES) {
      if (reason === 'body_too_large' || reason === 'undecodable_body' || label.includes('base64')) continue;
      expect(reasonOf(strict(base64(body)))).toBe(reason);
    }
  });

  it('reaches every reason code except record_too_large (which needs a transform, see renderSubmission)', () => {
    const covered = new Set<string>(INVALID_EXAMPLES.map(([reason]) => reason));
    expect(INVALID_REASONS.filter((reason) => !covered.has(reason))).toEqual(['record_too_large']);
  });

  describe('accepts edge values', () => {
    it.each([0, 1, 443, 65535])('destination_port %d', (port) => {
      expect(
        reasonOf(validateSubmission(withEntry('network_connection', connection({ destination_port: port })))),
      ).toBe('valid');
    });

    it.each(['0.0.0.0', '255.255.255.255', '10.0.0.1', '1.2.3.4'])('IPv4 %s', (ip) => {
      expect(reasonOf(validateSubmission(withEntry('network_connection', connection({ source_ip: ip }))))).toBe(
        'valid',
      );
    });

    it.each([
      '2021-03-28T15:44:18.592840',
      '2021-03-28T15:44:18',
      '2021-03-28T15:44',
      '2021-03-28T15:44:18Z',
      '2021-03-28T15:44:18.592Z',
      '2021-03-28T15:44:18.592840+00:00',
      '2021-03-28T15:44:18-07:30',
      '2024-02-29T00:00:00',
      '2021-03-28T15:44:18.123456789',
    ])('time_created %s', (time) => {
      expect(reasonOf(validateSubmission(withChange((doc) => (doc.time_created = time))))).toBe('valid');
    });

    it.each([
      DEVICE_ID.toUpperCase(),
      '00000000-0000-0000-0000-000000000000',
      '6ba7b810-9dad-11d1-80b4-00c04fd430c8', // v1
      '01890a5d-ac96-774b-bcce-b302099a8057', // v7
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
    ])('uuid %s', (id) => {
      expect(reasonOf(validateSubmission(withChange((doc) => (doc.device_id = id))))).toBe('valid');
    });

    it('cmdl and user of exactly maxFieldLength, and empty strings', () => {
      const max = DEFAULT_VALIDATION_LIMITS.maxFieldLength;
      expect(
        reasonOf(validateSubmission(withEntry('new_process', { cmdl: 'x'.repeat(max), user: 'u'.repeat(max) }))),
      ).toBe('valid');
      expect(reasonOf(validateSubmission(withEntry('new_process', { cmdl: '', user: '' })))).toBe('valid');
    });

    it('exactly maxEventsPerSubmission events', () => {
      const body = withChange((_doc, events) => {
        events.new_process = Array.from({ length: 600 }, () => ({ cmdl: 'a', user: 'b' }));
        events.network_connection = Array.from({ length: 400 }, () => connection({}));
      });
      expect(reasonOf(validateSubmission(body))).toBe('valid');
    });

    it('a body of exactly maxBodyBytes', () => {
      const text = SPEC_EXAMPLE_TEXT;
      const padded = text + ' '.repeat(DEFAULT_VALIDATION_LIMITS.maxBodyBytes - Buffer.byteLength(text));
      expect(reasonOf(validateSubmission(padded))).toBe('valid');
    });
  });

  describe('empty and absent events', () => {
    it.each([
      ['no events key', (doc: Document) => delete doc.events],
      ['empty events object', (doc: Document) => (doc.events = {})],
      ['both lists empty', (doc: Document) => (doc.events = { new_process: [], network_connection: [] })],
      ['only network_connection', (doc: Document) => (doc.events = { network_connection: [] })],
    ])('%s is valid', (_label, change) => {
      expect(reasonOf(validateSubmission(withChange(change)))).toBe('valid');
    });
  });

  describe('hostile input', () => {
    it.each(['__proto__', 'constructor', 'prototype'])('rejects a %s key anywhere and pollutes nothing', (key) => {
      const bodies = [
        SPEC_EXAMPLE_TEXT.replace('{', `{"${key}": {"polluted": true},`),
        SPEC_EXAMPLE_TEXT.replace('"events": {', `"events": {"${key}": {"polluted": true},`),
        SPEC_EXAMPLE_TEXT.replace('"cmdl"', `"${key}": {"polluted": true}, "cmdl"`),
        // Alone, the missing fields come first: zod reports shape issues before unknown keys.
        `{"${key}": {"polluted": true, "toString": 1}}`,
      ];
      const reasons = bodies.map((body) => reasonOf(strict(body)));
      expect(reasons).toEqual(['unknown_field', 'unknown_event_type', 'unknown_field', 'missing_field']);
      // Accepted and counted under the default policy: dropped where fields live, never in events (an event type).
      const accepted = bodies.map((body) => validateSubmission(body));
      expect(accepted.map(reasonOf)).toEqual(['valid', 'unknown_event_type', 'valid', 'missing_field']);
      expect(accepted[0]?.valid && accepted[0].unknownFields).toEqual([key]);
      expect(accepted[2]?.valid && accepted[2].unknownFields).toEqual([`events.new_process[].${key}`]);
      expect(accepted[0]?.valid && Object.keys(accepted[0].submission)).not.toContain(key);
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect('polluted' in {}).toBe(false);
    });

    it('a __proto__ key cannot smuggle a field in through the prototype', () => {
      const body = SPEC_EXAMPLE_TEXT.replace(`"device_id": "${DEVICE_ID}",`, '"__proto__": {"device_id": "x"},');
      expect(reasonOf(validateSubmission(body))).toBe('missing_field');
    });

    it('rejects deep nesting cheaply, also inside unknown keys and via base64', () => {
      const deep = `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      expect(reasonOf(validateSubmission(deep))).toBe('too_deeply_nested');
      expect(reasonOf(validateSubmission(base64(nested(40))))).toBe('too_deeply_nested');
      expect(reasonOf(validateSubmission('['.repeat(200_000)))).toBe('too_deeply_nested');
    });

    it('counts only structural brackets for nesting, not those inside strings', () => {
      const body = withEntry('new_process', { cmdl: `${'['.repeat(100)}"\\{`, user: '{'.repeat(100) });
      expect(reasonOf(validateSubmission(body))).toBe('valid');
    });

    it('nesting exactly at the limit is not too deep', () => {
      expect(reasonOf(validateSubmission(nested(31)))).toBe('wrong_type');
    });

    it('measures the body in bytes, not characters', () => {
      const limits = validationLimitsSchema.parse({ maxBodyBytes: 1000 });
      const body = SPEC_EXAMPLE_TEXT.replace('john', '👤'.repeat(200)); // 200 characters of 4 bytes each
      expect(body.length).toBeLessThan(1000);
      expect(reasonOf(validateSubmission(body, limits))).toBe('body_too_large');
    });

    it('escapes control characters and bounds the detail', () => {
      const key = `evil\u001b[31m\nkey\u2028${'k'.repeat(10_000)}`;
      const result = strict(JSON.stringify({ ...validDocument(), [key]: 1 }));
      expect(result.valid).toBe(false);
      if (result.valid) return;
      expect(result.reason).toBe('unknown_field');
      expect(result.detail).not.toMatch(/[\u0000-\u001f\u2028]/);
      expect(result.detail).toContain('\\u001b');
      expect(result.detail.length).toBeLessThanOrEqual(240);
    });

    it('escapes control characters quoted by the JSON parser', () => {
      const result = validateSubmission('{"a":\u0007\u001b}');
      expect(reasonOf(result)).toBe('invalid_json');
      if (!result.valid) expect(result.detail).not.toMatch(/[\u0000-\u001f]/);
    });
  });

  describe('details name the field', () => {
    it.each([
      [withChange((doc) => (doc.submission_id = 'not-an-uuid')), /^submission_id: /],
      [withEntry('new_process', { cmdl: null, user: 'john' }), /^events\.new_process\[0\]\.cmdl: /],
      [
        withEntry('network_connection', connection({ destination_ip: 'not-an-ip' })),
        /^events\.network_connection\[0\]\.destination_ip: /,
      ],
      [withChange((_doc, events) => (events['file write'] = [])), /^events: .*file write/],
    ])('%s', (body, pattern) => {
      const result = validateSubmission(body);
      expect(result.valid ? '' : result.detail).toMatch(pattern);
    });
  });

  it('applies custom limits', () => {
    const limits = validationLimitsSchema.parse({ maxEventsPerSubmission: 1, maxFieldLength: 4, maxNestingDepth: 4 });
    const tooMany = withChange((_doc, events) => (events.new_process = [{ cmdl: 'a', user: 'b' }]));
    expect(reasonOf(validateSubmission(tooMany, limits))).toBe('too_many_events');
    const one = withChange((_doc, events) => {
      delete events.network_connection;
    });
    expect(reasonOf(validateSubmission(one, limits))).toBe('field_too_long');
    const fits = withChange((_doc, events) => {
      events.new_process = [{ cmdl: 'abcd', user: 'jo' }];
      delete events.network_connection;
    });
    expect(reasonOf(validateSubmission(fits, limits))).toBe('valid');
    expect(reasonOf(validateSubmission(`{"x":[[[{}]]]}`, limits))).toBe('too_deeply_nested');
  });

  describe('unknown fields (forward compatibility)', () => {
    const upgraded = withChange((doc, events) => {
      doc.sensor_version = '7.2';
      events.new_process = [
        { cmdl: 'a', user: 'b', pid: 4, parent_pid: 1 },
        { cmdl: 'c', user: 'd', pid: 5 },
      ];
      events.network_connection = [connection({ protocol: 'tcp' })];
    });

    it('accepts a submission from a newer sensor by default, dropping and naming each new field once', () => {
      const result = validateSubmission(upgraded);
      expect(result.valid).toBe(true);
      if (!result.valid) return;
      expect(result.unknownFields).toEqual([
        'sensor_version',
        'events.new_process[].pid',
        'events.new_process[].parent_pid',
        'events.network_connection[].protocol',
      ]);
      expect(result.submission).toEqual({
        ...validDocument(),
        events: {
          new_process: [
            { cmdl: 'a', user: 'b' },
            { cmdl: 'c', user: 'd' },
          ],
          network_connection: [connection({})],
        },
      });
    });

    it('rejects it as unknown_field under the reject policy', () => {
      expect(reasonOf(strict(upgraded))).toBe('unknown_field');
    });

    it('still judges everything else: a known field broken next to an unknown one rejects', () => {
      const body = withChange((doc) => {
        doc.sensor_version = '7.2';
        doc.device_id = 'not-an-uuid';
      });
      expect(reasonOf(validateSubmission(body))).toBe('invalid_uuid');
    });

    it('labels hostile keys <unusual> and reports a bounded number of paths', () => {
      const doc: Document = { ...validDocument(), 'evil\u001b[31m key': 1 };
      for (let i = 0; i < 100; i++) doc[`extra_${i}`] = i;
      const result = validateSubmission(JSON.stringify(doc));
      expect(result.valid).toBe(true);
      if (!result.valid) return;
      expect(result.unknownFields).toHaveLength(16);
      expect(result.unknownFields[0]).toBe('<unusual>');
    });
  });
});
