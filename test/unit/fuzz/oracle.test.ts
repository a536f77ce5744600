import fc from 'fast-check';
import { DEFAULT_VALIDATION_LIMITS, validationLimitsSchema } from '../../../src/domain';
import { isTimeCreated, judgeBody, utf8ByteLength } from '../../../tools/fuzz/oracle';
import { ObjectModel, RawToken, serialise } from '../../../tools/fuzz/json-model';
import { timeCreatedArb } from '../../../tools/fuzz/arbitraries';
import { base64, SPEC_EXAMPLE_TEXT, validDocument } from '../domain/spec-example';

// The oracle must be right on its own, or agreeing with it proves nothing.
const options = { includeProvenance: false, partitionKeyField: 'device_id' as const, processedAt: new Date(0) };
const judge = (body: string, limits = DEFAULT_VALIDATION_LIMITS) => judgeBody(body, limits, options).valid;
const withDoc = (change: (doc: Record<string, unknown>) => void) => {
  const doc = validDocument();
  change(doc);
  return JSON.stringify(doc);
};

describe('the oracle', () => {
  it('accepts the docs/contract.md#input example as JSON and as padded or unpadded base64, with surrounding whitespace', () => {
    for (const body of [
      SPEC_EXAMPLE_TEXT,
      base64(SPEC_EXAMPLE_TEXT),
      base64(SPEC_EXAMPLE_TEXT, false),
      ` \n${SPEC_EXAMPLE_TEXT}\t`,
    ]) {
      expect(judge(body)).toBe(true);
    }
    const verdict = judgeBody(SPEC_EXAMPLE_TEXT, DEFAULT_VALIDATION_LIMITS, options);
    expect(verdict.valid && verdict.submission.networkConnection[0]?.destination_port).toBe(43696);
  });

  it.each([
    ['the original fleet: submission_id "not-an-uuid"', withDoc((doc) => (doc.submission_id = 'not-an-uuid'))],
    ['the original fleet: cmdl null', withDoc((doc) => (doc.events = { new_process: [{ cmdl: null, user: 'x' }] }))],
    [
      'the original fleet: destination_ip "not-an-ip"',
      withDoc(
        (doc) =>
          (doc.events = {
            network_connection: [{ source_ip: '1.2.3.4', destination_ip: 'not-an-ip', destination_port: 1 }],
          }),
      ),
    ],
    ['a leading-zero octet', SPEC_EXAMPLE_TEXT.replace('192.168.0.2', '192.168.00.2')],
    ['a fractional port', SPEC_EXAMPLE_TEXT.replace('43696', '43696.5')],
    ['port 65536', SPEC_EXAMPLE_TEXT.replace('43696', '65536')],
    ['an unknown event type', SPEC_EXAMPLE_TEXT.replace('"new_process"', '"file_write"')],
    ['a duplicate key', SPEC_EXAMPLE_TEXT.replace('"user": "john"', '"user": "john", "user": "x"')],
    ['February 29th of 2021', SPEC_EXAMPLE_TEXT.replace('2021-03-28', '2021-02-29')],
    ['an offset without seconds', SPEC_EXAMPLE_TEXT.replace('15:44:18.592840', '15:44+01:00')],
    ['base64url', base64(SPEC_EXAMPLE_TEXT).replace(/\+/g, '-').replace(/\//g, '_') + '-'],
    ['a JSON scalar', '42'],
    ['an array', `[${SPEC_EXAMPLE_TEXT}]`],
    ['trailing garbage', `${SPEC_EXAMPLE_TEXT}x`],
  ])('rejects %s', (_label, body) => {
    expect(judge(body)).toBe(false);
  });

  it('ignores unknown fields by default and rejects them under the reject policy; event types are never open', () => {
    for (const body of [
      SPEC_EXAMPLE_TEXT.replace('{', '{"__proto__": {},'),
      SPEC_EXAMPLE_TEXT.replace('"user": "john"', '"user": "john", "pid": 4'),
    ]) {
      expect(judge(body)).toBe(true);
      expect(judgeBody(body, DEFAULT_VALIDATION_LIMITS, { ...options, unknownFields: 'reject' }).valid).toBe(false);
    }
    expect(judge(SPEC_EXAMPLE_TEXT.replace('"events": {', '"events": {"file_write": [],'))).toBe(false);
  });

  it('applies every limit', () => {
    const small = validationLimitsSchema.parse({
      maxBodyBytes: 1000,
      maxEventsPerSubmission: 1,
      maxFieldLength: 3,
      maxNestingDepth: 4,
      maxRecordBytes: 250,
    });
    const fits = SPEC_EXAMPLE_TEXT.replace('notepad.exe', 'np').replace('john', 'jo');
    const roomy = { ...small, maxEventsPerSubmission: 2, maxRecordBytes: 1000 };
    expect(judge(fits, roomy)).toBe(true);
    expect(judge(SPEC_EXAMPLE_TEXT, roomy)).toBe(false); // cmdl and user longer than 3
    expect(judge(fits, { ...roomy, maxEventsPerSubmission: 1 })).toBe(false); // 2 events
    expect(judge(fits, { ...roomy, maxRecordBytes: 250 })).toBe(false); // the network_connection record
    expect(judge(fits, { ...roomy, maxBodyBytes: 100 })).toBe(false);
    expect(judge('{"a":{"b":[[{}]]}}', small)).toBe(false);
  });

  it('counts UTF-8 bytes as Node does, lone surrogates included', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
            fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
          ),
        }),
        (text) => {
          expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads every generated time_created, and so does Date.parse', () => {
    fc.assert(
      fc.property(timeCreatedArb, (time) => {
        expect(isTimeCreated(time)).toBe(true);
        expect(Number.isFinite(Date.parse(time))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the document model', () => {
  it('serialises duplicate keys, __proto__ keys and raw number tokens as written', () => {
    const doc = new ObjectModel([
      ['a', 1],
      ['a', new RawToken('-0')],
      ['__proto__', [null, true, 'x']],
    ]);
    expect(serialise(doc)).toBe('{"a":1,"a":-0,"__proto__":[null,true,"x"]}');
    expect(serialise(doc, { indent: '  ' })).toBe(
      '{\n  "a": 1,\n  "a": -0,\n  "__proto__": [\n    null,\n    true,\n    "x"\n  ]\n}',
    );
  });
});
