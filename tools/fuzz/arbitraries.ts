import fc from 'fast-check';
import { DEFAULT_VALIDATION_LIMITS, validationLimitsSchema, type ValidationLimits } from '../../src/domain/limits';
import { cloneModel, objectsOf, ObjectModel, RawToken, serialise, slotsOf, type JsonModel } from './json-model';

// Generators of message bodies for the validator: valid submissions written every way docs/contract.md#input allows, mutations of
// them, and plain hostile noise. Shared by the jest properties (test/unit/fuzz) and `npm run fuzz`.

const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF');
const hex = (length: number) => fc.string({ unit: hexDigit, minLength: length, maxLength: length });

// Any version and variant, any case: docs/contract.md#input only says "UUID".
export const uuidArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((parts) => parts.join('-')),
  fc.uuid(),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'),
);

const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(0, 1, 9, 10, 99, 100, 199, 200, 249, 250, 255),
);
export const ipv4Arb: fc.Arbitrary<string> = fc.tuple(octet, octet, octet, octet).map((octets) => octets.join('.'));

// A port as a number, or as another JSON spelling of the same integer.
export const portArb: fc.Arbitrary<JsonModel> = fc.oneof(
  { weight: 8, arbitrary: fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(0, 1, 80, 443, 65534, 65535)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 65535 }), fc.constantFrom('.0', 'e0', 'E0', '.000', '0e-1'))
      .map(([port, suffix]) => new RawToken(suffix === '0e-1' ? `${port * 10}e-1` : `${port}${suffix}`)),
  },
  { weight: 1, arbitrary: fc.constant(new RawToken('-0')) },
);

const pad = (value: number, width: number) => String(value).padStart(width, '0');
const daysIn = (year: number, month: number) =>
  [31, (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
    month - 1
  ] ?? 31;

// Device-local ISO 8601 as Python and other sensors write it: minutes or seconds, 0–12 fraction digits, no zone, Z,
// or ±HH:MM (a zone needs seconds).
export const timeCreatedArb: fc.Arbitrary<string> = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1970, 2000, 2021, 2024, 2100, 1900)),
    month: fc.integer({ min: 1, max: 12 }),
    dayIndex: fc.nat(),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.option(fc.integer({ min: 0, max: 59 })),
    fraction: fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 12 })),
    zone: fc.option(
      fc.oneof(
        fc.constant('Z'),
        fc
          .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
          .map(([sign, h, m]) => `${sign}${pad(h, 2)}:${pad(m, 2)}`),
      ),
    ),
  })
  .map(({ year, month, dayIndex, hour, minute, second, fraction, zone }) => {
    const day = (dayIndex % daysIn(year, month)) + 1;
    let text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}`;
    if (second === null && zone === null) return text;
    text += `:${pad(second ?? 0, 2)}`;
    if (fraction !== null) text += `.${fraction}`;
    return text + (zone ?? '');
  });

// Poison aimed at downstream consumers: all of it is valid data and must come out verbatim.
export const HOSTILE_STRINGS: readonly string[] = [
  '\u001b[31mred\u001b[0m\u001b]0;title\u0007',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "=cmd|' /C calc'!A0",
  '+SUM(1+1)*cmd|" /C calc"!A0',
  '@SUM(1)',
  '-2+3',
  'line1\r\nline2\u2028\u2029',
  '\u0000nul\u0000',
  '\u202egnp.exe',
  '\ud800',
  '\udfff\ud800',
  '{"type":"new_process"}',
  '__proto__',
  "'; DROP TABLE events; --",
  '${jndi:ldap://x/a}',
  'C:\\Windows\\System32\\cmd.exe /c "dir"',
  '',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

// Strings of at most maxLength UTF-16 code units (the documented unit of the limit); fast-check's maxLength counts
// code points or graphemes, so longer draws are cut, never left over the limit.
export function fieldStringArb(maxLength: number): fc.Arbitrary<string> {
  return rawFieldStringArb(maxLength).map((value) => (value.length <= maxLength ? value : value.slice(0, maxLength)));
}

function rawFieldStringArb(maxLength: number): fc.Arbitrary<string> {
  const short = Math.min(maxLength, 40);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: short }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: short }) },
    {
      weight: 1,
      arbitrary: fc.string({
        unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate),
        maxLength: short,
      }),
    },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length <= maxLength)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: Math.max(0, maxLength - 2), max: maxLength }), fc.constantFrom('x', 'é', '"', '\n'))
        .map(([length, char]) => char.repeat(length)),
    },
  );
}

function listArb<T>(entry: fc.Arbitrary<T>, maxLength: number): fc.Arbitrary<T[]> {
  return fc.array(entry, { maxLength });
}

export interface SubmissionShape {
  limits: ValidationLimits;
  maxEventsPerList: number;
}

const validSubmissionArbs = new WeakMap<ValidationLimits, fc.Arbitrary<ObjectModel>>();

// A valid submission as a model (so its key order and number spellings vary), for the given limits.
export function validSubmissionArb(limits: ValidationLimits = DEFAULT_VALIDATION_LIMITS): fc.Arbitrary<ObjectModel> {
  let arbitrary = validSubmissionArbs.get(limits);
  if (!arbitrary) {
    arbitrary = buildValidSubmissionArb(limits);
    validSubmissionArbs.set(limits, arbitrary);
  }
  return arbitrary;
}

function buildValidSubmissionArb(limits: ValidationLimits): fc.Arbitrary<ObjectModel> {
  const perList = Math.min(6, Math.floor(limits.maxEventsPerSubmission / 2));
  const field = fieldStringArb(limits.maxFieldLength);
  const newProcess = fc.tuple(field, field, fc.boolean()).map(
    ([cmdl, user, userFirst]) =>
      new ObjectModel(
        userFirst
          ? [
              ['user', user],
              ['cmdl', cmdl],
            ]
          : [
              ['cmdl', cmdl],
              ['user', user],
            ],
      ),
  );
  const connection = fc.tuple(ipv4Arb, ipv4Arb, portArb, fc.nat(5)).map(([source, destination, port, rotation]) => {
    const entries: [string, JsonModel][] = [
      ['source_ip', source],
      ['destination_ip', destination],
      ['destination_port', port],
    ];
    const shift = rotation % 3;
    return new ObjectModel([...entries.slice(shift), ...entries.slice(0, shift)]);
  });
  const events = fc
    .record(
      { new_process: listArb(newProcess, perList), network_connection: listArb(connection, perList) },
      { requiredKeys: [] },
    )
    .chain((lists) =>
      fc
        .shuffledSubarray(Object.entries(lists), { minLength: Object.keys(lists).length })
        .map((entries) => new ObjectModel(entries as [string, JsonModel][])),
    );
  return fc
    .record(
      {
        submission_id: uuidArb,
        device_id: uuidArb,
        time_created: timeCreatedArb,
        events,
      },
      { requiredKeys: ['submission_id', 'device_id', 'time_created'] },
    )
    .chain((doc) =>
      fc
        .shuffledSubarray(Object.entries(doc), { minLength: Object.keys(doc).length })
        .map((entries) => new ObjectModel(entries as [string, JsonModel][])),
    );
}

export type Encoding = 'raw' | 'padded' | 'unpadded';

export interface BodyStyle {
  indent: '' | '  ' | '\t';
  encoding: Encoding;
  surroundingWhitespace: string;
}

export const bodyStyleArb: fc.Arbitrary<BodyStyle> = fc.record({
  indent: fc.constantFrom('' as const, '  ' as const, '\t' as const),
  encoding: fc.constantFrom('raw' as const, 'padded' as const, 'unpadded' as const),
  surroundingWhitespace: fc.constantFrom('', '', '', ' ', '\n', '\r\n\t '),
});

export function base64Of(text: string, padded = true): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  return padded ? encoded : encoded.replace(/=+$/, '');
}

export function encodeBody(text: string, style: BodyStyle): string {
  const body = style.encoding === 'raw' ? text : base64Of(text, style.encoding === 'padded');
  return `${style.surroundingWhitespace}${body}${style.surroundingWhitespace}`;
}

// Limits: mostly the defaults; sometimes small ones, so the size, count, depth and record limits are crossed often.
export const limitsArb: fc.Arbitrary<ValidationLimits> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(DEFAULT_VALIDATION_LIMITS) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        maxBodyBytes: fc.oneof(
          fc.integer({ min: 100, max: 4000 }),
          fc.constant(DEFAULT_VALIDATION_LIMITS.maxBodyBytes),
        ),
        maxEventsPerSubmission: fc.integer({ min: 1, max: 12 }),
        maxFieldLength: fc.integer({ min: 1, max: 64 }),
        maxNestingDepth: fc.integer({ min: 4, max: 8 }),
        maxRecordBytes: fc.oneof(
          fc.integer({ min: 150, max: 700 }),
          fc.constant(DEFAULT_VALIDATION_LIMITS.maxRecordBytes),
        ),
      })
      .map((limits) => Object.freeze(validationLimitsSchema.parse(limits))),
  },
);

// Limits under which every generated valid submission stays valid: the small field, count and depth limits are
// honoured by the generator, while a small body or record limit could make any submission too large.
export const validLimitsArb: fc.Arbitrary<ValidationLimits> = limitsArb.map((limits) =>
  limits === DEFAULT_VALIDATION_LIMITS
    ? limits
    : Object.freeze({
        ...limits,
        maxBodyBytes: DEFAULT_VALIDATION_LIMITS.maxBodyBytes,
        maxRecordBytes: DEFAULT_VALIDATION_LIMITS.maxRecordBytes,
      }),
);

// A small arbitrary JSON value, as a model, for retyping and unknown keys.
const scalarModel: fc.Arbitrary<JsonModel> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 10 }),
  fc.constantFrom('', '80', 'null', 'true', '1.2.3.4', 'not-an-uuid', '2021-03-28T15:44:18'),
);
export const anyModelArb: fc.Arbitrary<JsonModel> = fc.letrec<{ value: JsonModel }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarModel,
    fc.array(tie('value'), { maxLength: 3 }),
    fc
      .array(fc.tuple(fc.string({ maxLength: 6 }), tie('value')), { maxLength: 3 })
      .map((entries) => new ObjectModel(entries)),
  ),
})).value;

const SUSPICIOUS_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'extra',
  'type',
  'event_id',
  'Cmdl',
  'cmdl ',
  'Device_Id',
  'file_write',
  'new_process ',
  '',
  '\u0000',
  'evil\u001b[2J\nkey',
];

const NUMBER_TOKENS = [
  '-0',
  '1.0',
  '1e2',
  '1E2',
  '65535',
  '65536',
  '-1',
  '1.5',
  '65535.5',
  '1e400',
  '-1e400',
  '1e-400',
  '0.0000001e7',
  '00',
  '01',
  '+1',
  '.5',
  '1.',
  'NaN',
  'Infinity',
  '0x50',
  '9007199254740993',
];

function corruptString(value: string, how: number, char: string, at: number): string {
  const position = value.length === 0 ? 0 : at % (value.length + 1);
  switch (how % 12) {
    case 0:
      return value.slice(0, position) + char + value.slice(position);
    case 1:
      return value.slice(0, position) + value.slice(position + 1);
    case 2:
      return ` ${value}`;
    case 3:
      return `${value}\n`;
    case 4:
      return value.toUpperCase();
    case 5:
      return `0${value}`;
    case 6:
      return value.replace(/[0-9]/, (digit) => String.fromCharCode(0xff10 + Number(digit)));
    case 7:
      return value.replace(/-/g, '');
    case 8:
      return `{${value}}`;
    case 9:
      return value.replace(/\./, '..');
    case 10:
      return value.slice(0, position);
    default:
      return `${value}${value}`;
  }
}

// As a raw token: a model thousands of levels deep would overflow the fuzzer's own recursion before the validator's.
function nested(depth: number, kind: 'array' | 'object'): RawToken {
  return kind === 'array'
    ? new RawToken(`${'['.repeat(depth)}1${']'.repeat(depth)}`)
    : new RawToken(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
}

// Values that almost pass, per field: the boundaries where a validator is most likely to be wrong. Each is a
// function of the field's current value, so the rest of the value stays realistic.
const NEAR_MISSES: Readonly<Record<string, readonly ((value: string, n: number) => JsonModel)[]>> = {
  ip: [
    (v) => v.replace(/^(\d+)/, '0$1'),
    (v) => v.replace(/(\d+)$/, '0$1'),
    (_v, n) => `${256 + (n % 744)}.1.2.3`,
    (_v, n) => `1.2.3.${256 + (n % 744)}`,
    (v) => v.split('.').slice(0, 3).join('.'),
    (v) => `${v}.1`,
    (v) => `${v}.`,
    (v) => ` ${v}`,
    (v) => `${v}\n`,
    (v) => v.replace(/\./, ' .'),
    (v) => v.replace(/[0-9]/, (d) => String.fromCharCode(0xff10 + Number(d))),
    (v) => v.replace(/[0-9]/, (d) => String.fromCharCode(0x0660 + Number(d))),
    () => '0x7f.0.0.1',
    () => '127.1',
    () => '::ffff:127.0.0.1',
    () => '1.2.3.4/32',
    () => '+1.2.3.4',
    () => '1.2.3.-4',
    () => '1e0.2.3.4',
    () => '1.2.3.4:80',
  ],
  uuid: [
    (v) => v.replace(/-/, ''),
    (v) => v.slice(1),
    (v) => `${v}0`,
    (v) => `{${v}}`,
    (v) => `urn:uuid:${v}`,
    (v) => `${v}\n`,
    (v) => ` ${v}`,
    (v, n) => v.slice(0, n % 36) + 'g' + v.slice((n % 36) + 1),
    (v) => v.replace(/-/g, '_'),
    (v) => v.replace(/^(.{8})-/, '$1'),
    (v) => v.replace(/[0-9a-f]/i, (c) => String.fromCharCode(0xff10 + (parseInt(c, 16) % 10))),
  ],
  time: [
    (v) => v.replace(/^(\d{4})-\d\d/, '$1-13'),
    (v) => v.replace(/^(\d{4})-\d\d/, '$1-00'),
    (v) => v.replace(/^(\d{4}-\d\d)-\d\d/, '$1-32'),
    (v) => v.replace(/^(\d{4}-\d\d)-\d\d/, '$1-00'),
    (v) => v.replace(/^\d{4}-\d\d-\d\d/, '2021-02-29'),
    (v) => v.replace(/^\d{4}-\d\d-\d\d/, '1900-02-29'),
    (v) => v.replace(/^\d{4}-\d\d-\d\d/, '2021-04-31'),
    (v) => v.replace(/T\d\d/, 'T24'),
    (v) => v.replace(/T(\d\d):\d\d/, 'T$1:60'),
    (v) => v.replace(/T(\d\d:\d\d):\d\d/, 'T$1:60'),
    (v) => v.replace('T', ' '),
    (v) => v.replace('T', 't'),
    (v) => v.slice(0, 10),
    (v) => `${v.slice(0, 16)}+01:00`,
    (v) => `${v.slice(0, 19)}+0100`,
    (v) => `${v.slice(0, 19)}+24:00`,
    (v) => `${v.slice(0, 19)}+01:60`,
    (v) => `${v.slice(0, 19)}z`,
    (v) => `${v.slice(0, 19)}Z+01:00`,
    (v) => `${v.slice(0, 19)}.`,
    (v) => `${v.slice(0, 19)},5`,
    (v) => `1${v}`,
    (v) => v.replace(/^\d{4}-(\d)(\d)/, (_m, a: string, b: string) => `${v.slice(0, 4)}-${a === '0' ? b : a + b}`),
    (v) => `${v}\n`,
  ],
};

const FIELD_KINDS: Readonly<Record<string, string>> = {
  source_ip: 'ip',
  destination_ip: 'ip',
  submission_id: 'uuid',
  device_id: 'uuid',
  time_created: 'time',
};

// One change to a document. Each picks its target by index among the current slots or objects, so any field,
// list, entry or nested value can be hit.
export type Mutation = { label: string; apply: (doc: JsonModel, limits: ValidationLimits) => void };

const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[index % items.length];

const nearMissArb: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([at, which, n]) => ({
  label: 'near-miss',
  apply: (doc: JsonModel) => {
    const fields = objectsOf(doc).flatMap((object) =>
      object.entries.filter(([key, value]) => FIELD_KINDS[key] !== undefined && typeof value === 'string'),
    );
    const entry = pick(fields, at);
    const misses = entry && NEAR_MISSES[FIELD_KINDS[entry[0]] ?? ''];
    const miss = misses && pick(misses, which);
    if (entry && miss && typeof entry[1] === 'string') entry[1] = miss(entry[1], n);
  },
}));

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: nearMissArb },
  fc.nat().map((at) => ({
    label: 'drop',
    apply: (doc: JsonModel) => pick(slotsOf(doc), at)?.remove(),
  })),
  fc.tuple(fc.nat(), anyModelArb).map(([at, value]) => ({
    label: 'retype',
    apply: (doc: JsonModel) => pick(slotsOf(doc), at)?.replace(value),
  })),
  fc
    .tuple(fc.nat(), fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.nat())
    .map(([at, how, char, position]) => ({
      label: 'corrupt',
      apply: (doc: JsonModel) => {
        const strings = slotsOf(doc).filter((slot) => typeof slot.value === 'string');
        const slot = pick(strings, at);
        if (slot && typeof slot.value === 'string') slot.replace(corruptString(slot.value, how, char, position));
      },
    })),
  fc.tuple(fc.nat(), fc.nat(), fc.option(anyModelArb)).map(([at, entry, value]) => ({
    label: 'duplicate-key',
    apply: (doc: JsonModel) => {
      const object = pick(objectsOf(doc), at);
      const original = object && pick(object.entries, entry);
      if (object && original) object.entries.push([original[0], value ?? cloneModel(original[1])]);
    },
  })),
  fc.tuple(fc.nat(), fc.integer({ min: -1, max: 2 }), fc.boolean()).map(([at, delta, astral]) => ({
    label: 'oversize-field',
    apply: (doc: JsonModel, limits: ValidationLimits) => {
      const strings = slotsOf(doc).filter((slot) => typeof slot.value === 'string');
      const units = Math.max(0, limits.maxFieldLength + delta);
      // Astral characters are 2 UTF-16 units each: a limit counted in code points would let twice as many through.
      const text = astral ? '𝛾'.repeat(Math.floor(units / 2)) + 'y'.repeat(units % 2) : 'y'.repeat(units);
      pick(strings, at)?.replace(text);
    },
  })),
  fc
    .tuple(fc.nat(), fc.oneof(fc.constantFrom(...SUSPICIOUS_KEYS), fc.string({ maxLength: 8 })), anyModelArb)
    .map(([at, key, value]) => ({
      label: 'unknown-key',
      apply: (doc: JsonModel) => pick(objectsOf(doc), at)?.entries.push([key, value]),
    })),
  fc
    .tuple(
      fc.nat(),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom('array' as const, 'object' as const),
      fc.boolean(),
    )
    .map(([at, delta, kind, huge]) => ({
      label: 'deep-nesting',
      apply: (doc: JsonModel, limits: ValidationLimits) =>
        pick(slotsOf(doc), at)?.replace(nested(huge ? 5000 : Math.max(1, limits.maxNestingDepth + delta), kind)),
    })),
  fc.tuple(fc.nat(), fc.integer({ min: -1, max: 2 }), fc.boolean()).map(([at, delta, huge]) => ({
    label: 'huge-array',
    apply: (doc: JsonModel, limits: ValidationLimits) => {
      const lists = slotsOf(doc).filter((slot) => Array.isArray(slot.value));
      const slot = pick(lists, at) ?? pick(slotsOf(doc), at);
      if (!slot) return;
      // The huge one holds zeros: small enough to pass the body limit, so the list length is what must stop it.
      // Written as a raw token so later mutations and the serialiser do not walk thousands of elements.
      const template = !huge && Array.isArray(slot.value) && slot.value.length > 0 ? slot.value[0] : 0;
      const length = huge ? 12_000 : Math.max(0, limits.maxEventsPerSubmission + delta);
      slot.replace(new RawToken(`[${new Array<string>(length).fill(serialise(template ?? 0)).join(',')}]`));
    },
  })),
  fc.tuple(fc.nat(), fc.nat()).map(([at, entry]) => ({
    label: 'duplicate-entry',
    apply: (doc: JsonModel) => {
      const lists = slotsOf(doc).filter((slot) => Array.isArray(slot.value));
      const slot = pick(lists, at);
      if (slot && Array.isArray(slot.value)) {
        const copy = pick(slot.value, entry);
        if (copy !== undefined) slot.value.push(cloneModel(copy));
      }
    },
  })),
  fc.tuple(fc.nat(), fc.constantFrom(...NUMBER_TOKENS)).map(([at, token]) => ({
    label: 'number-token',
    apply: (doc: JsonModel) => {
      const numbers = slotsOf(doc).filter((slot) => typeof slot.value === 'number' || slot.value instanceof RawToken);
      (pick(numbers, at) ?? pick(slotsOf(doc), at))?.replace(new RawToken(token));
    },
  })),
);

// Changes to the text or its encoding rather than the document.
export type TextMutation = { label: string; apply: (text: string, style: BodyStyle) => string };

export const textMutationArb: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.nat().map((at) => ({ label: 'truncate', apply: (text: string) => text.slice(0, at % (text.length + 1)) })),
  fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([at, junk]) => ({
    label: 'insert-junk',
    apply: (text: string) => {
      const position = at % (text.length + 1);
      return text.slice(0, position) + junk + text.slice(position);
    },
  })),
  fc.constantFrom<TextMutation>(
    { label: 'bom', apply: (text) => `\ufeff${text}` },
    { label: 'double-base64', apply: (text) => base64Of(base64Of(text)) },
    { label: 'base64url', apply: (text) => base64Of(text).replace(/\+/g, '-').replace(/\//g, '_') },
    { label: 'base64-bad-padding', apply: (text) => `${base64Of(text, false)}===` },
    { label: 'base64-inner-space', apply: (text) => base64Of(text).replace(/(.{8})/, '$1 ') },
    {
      label: 'base64-bom',
      apply: (text) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]).toString('base64'),
    },
    { label: 'latin1-base64', apply: (text) => Buffer.from(text, 'latin1').toString('base64') },
    { label: 'array-wrap', apply: (text) => `[${text}]` },
    { label: 'two-documents', apply: (text) => `${text}${text}` },
  ),
);

export interface MutatedCase {
  body: string;
  labels: string[];
}

export function mutatedBodyArb(limitsArbitrary: fc.Arbitrary<ValidationLimits> = limitsArb) {
  return limitsArbitrary.chain((limits) =>
    fc
      .record({
        doc: validSubmissionArb(limits),
        // Mostly one mutation and no text mutation, so most cases test one defect, not the first of several.
        mutations: fc.oneof(
          { weight: 3, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 1 }) },
          { weight: 1, arbitrary: fc.array(mutationArb, { minLength: 2, maxLength: 3 }) },
        ),
        textMutation: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: textMutationArb }),
        style: bodyStyleArb,
      })
      .map(({ doc: generated, mutations, textMutation, style }) => {
        // Mutated in place, so on a copy: fast-check may hand the same generated value to several shrink candidates.
        const doc = cloneModel(generated);
        for (const mutation of mutations) mutation.apply(doc, limits);
        const text = serialise(doc, style);
        const labels = mutations.map((mutation) => mutation.label);
        if (textMutation) labels.push(textMutation.label);
        const body = textMutation ? textMutation.apply(text, style) : encodeBody(text, style);
        return { limits, body, labels };
      }),
  );
}

export function validBodyArb(limits: ValidationLimits = DEFAULT_VALIDATION_LIMITS) {
  return fc
    .tuple(validSubmissionArb(limits), bodyStyleArb)
    .map(([doc, style]) => ({ limits, body: encodeBody(serialise(doc, style), style), labels: ['valid'] }));
}

// Bodies with no submission behind them: bytes, text, JSON of every shape, and submission-shaped objects whose
// fields hold arbitrary JSON.
export const noiseBodyArb: fc.Arbitrary<{ limits: ValidationLimits; body: string; labels: string[] }> = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 300 }).map((body) => ({ body, label: 'unicode' })),
    fc.string({ unit: 'grapheme', maxLength: 300 }).map((body) => ({ body, label: 'graphemes' })),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ body: Buffer.from(bytes).toString('latin1'), label: 'bytes' })),
    fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => ({ body: Buffer.from(bytes).toString('utf8'), label: 'bytes-utf8' })),
    fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => ({ body: Buffer.from(bytes).toString('base64'), label: 'base64-bytes' })),
    fc.base64String({ maxLength: 300 }).map((body) => ({ body, label: 'base64-string' })),
    fc.json({ maxDepth: 6 }).map((body) => ({ body, label: 'json' })),
    fc.json({ maxDepth: 6 }).map((body) => ({ body: base64Of(body), label: 'base64-json' })),
    fc.tuple(anyModelArb, anyModelArb, anyModelArb, anyModelArb).map(([submissionId, deviceId, time, events]) => ({
      body: serialise(
        new ObjectModel([
          ['submission_id', submissionId],
          ['device_id', deviceId],
          ['time_created', time],
          ['events', events],
        ]),
      ),
      label: 'submission-shaped',
    })),
  )
  .chain(({ body, label }) => limitsArb.map((limits) => ({ limits, body, labels: [label] })));
