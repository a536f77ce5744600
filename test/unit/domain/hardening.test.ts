import {
  DEFAULT_VALIDATION_LIMITS,
  validateSubmission,
  validationLimitsSchema,
  type Validation,
} from '../../../src/domain';
import { findDuplicateKey } from '../../../src/domain/json-text';
import { base64, SPEC_EXAMPLE_TEXT, validDocument } from './spec-example';

// Issue 7's hardening, each with the case that motivated it.
const reasonOf = (result: Validation) => (result.valid ? 'valid' : result.reason);

describe('duplicate keys (I-JSON, RFC 7493)', () => {
  it.each([
    ['a top-level field', SPEC_EXAMPLE_TEXT.replace('{', '{"device_id": "not-an-uuid",')],
    ['the events object', SPEC_EXAMPLE_TEXT.replace('"events": {', '"events": {"new_process": [],')],
    ['an entry', SPEC_EXAMPLE_TEXT.replace('"user": "john"', '"user": "john", "user": "root"')],
    [
      'a key spelled with an escape',
      SPEC_EXAMPLE_TEXT.replace('"user": "john"', '"user": "john", "\\u0075ser": "root"'),
    ],
    ['two __proto__ keys', '{"__proto__": 1, "__proto__": 2}'],
  ])('are rejected in %s as invalid_json, naming the key', (_label, body) => {
    const result = validateSubmission(body);
    expect(reasonOf(result)).toBe('invalid_json');
    if (!result.valid) expect(result.detail).toMatch(/^duplicate key "/);
    expect(reasonOf(validateSubmission(base64(body)))).toBe('invalid_json');
  });

  it('are not confused by equal keys in different objects, equal values, or keys inside strings', () => {
    const body = JSON.stringify({
      ...validDocument(),
      events: {
        new_process: [
          { cmdl: '{"user":1,"user":2}', user: 'cmdl' },
          { cmdl: 'a\\"b', user: '\\' },
        ],
      },
    });
    expect(reasonOf(validateSubmission(body))).toBe('valid');
  });

  it('findDuplicateKey scans nested objects and arrays of objects', () => {
    expect(findDuplicateKey('{"a":[{"b":1},{"b":2}],"c":{"a":1}}')).toBeUndefined();
    expect(findDuplicateKey('{"a":[{"b":1,"b":2}]}')).toBe('b');
    expect(findDuplicateKey('{"a":{"x":[1,{"y":{}}],"x":0}}')).toBe('x');
    expect(findDuplicateKey('[{"k":"v"},{"k":"v"}]')).toBeUndefined();
  });
});

describe('field length is counted in UTF-16 code units, as documented', () => {
  // zod 4's max() counts code points: without our own check, 3 astral characters (6 units) passed a limit of 3.
  const limits = validationLimitsSchema.parse({ maxFieldLength: 3 });
  const withUser = (user: string) =>
    JSON.stringify({ ...validDocument(), events: { new_process: [{ cmdl: 'a', user }] } });

  it.each([
    ['3 ASCII characters', 'abc', 'valid'],
    ['1 astral character (2 units) and 1 ASCII', '👤a', 'valid'],
    ['2 astral characters (4 units)', '👤👤', 'field_too_long'],
    ['3 astral characters (6 units)', '񐴃񥈸򹇆', 'field_too_long'],
  ])('%s', (_label, user, reason) => {
    expect(reasonOf(validateSubmission(withUser(user), limits))).toBe(reason);
  });
});

describe('time_created', () => {
  it.each(['0000-02-29T00:00', '9999-12-31T23:59:59.999999999-23:59', '2021-03-28T15:44'])(
    'accepts %s, which Date.parse can read',
    (time) => {
      expect(Number.isFinite(Date.parse(time))).toBe(true);
      expect(reasonOf(validateSubmission(JSON.stringify({ ...validDocument(), time_created: time })))).toBe('valid');
    },
  );

  it('checks the length before the pattern', () => {
    const time = `2021-03-28T15:44:18.${'1'.repeat(200_000)}`;
    const result = validateSubmission(JSON.stringify({ ...validDocument(), time_created: time }));
    expect(reasonOf(result)).toBe('invalid_time_created');
    if (!result.valid) expect(result.detail).toMatch(/^time_created: /);
  });
});

describe('never throws, whatever the caller passes', () => {
  const bodies: unknown[] = [undefined, null, 42, {}, ['{}'], Buffer.from('{}')];
  it.each(bodies)('body %p is undecodable_body', (body) => {
    // Deliberately untyped: a body from a replayed history or a tool need not be a string.
    const result = validateSubmission(body as string);
    expect(reasonOf(result)).toBe('undecodable_body');
  });
});

describe('cheap rejection of hostile shapes', () => {
  it('a list of 100,000 entries is rejected for its length before any entry is validated', () => {
    const entries = new Array(100_000).fill('{}').join(',');
    const body = SPEC_EXAMPLE_TEXT.replace('"new_process": [', `"new_process": [${entries},`);
    const limits = validationLimitsSchema.parse({ maxBodyBytes: 1_048_576 });
    // Every entry is itself broken (missing cmdl and user): the length decides first. (Speed is the benchmark's
    // business, not a timed assertion on a shared machine.)
    expect(reasonOf(validateSubmission(body, limits))).toBe('too_many_events');
  });

  it('200,000 levels of nesting are rejected before JSON.parse', () => {
    const limits = validationLimitsSchema.parse({ maxBodyBytes: 1_048_576 });
    // JSON.parse would fail this text as invalid_json (or overflow): the nesting check runs before it.
    expect(reasonOf(validateSubmission(`{"a":${'{"a":'.repeat(200_000)}`, limits))).toBe('too_deeply_nested');
  });

  it('__proto__ and constructor keys change no prototype, also through base64', () => {
    for (const key of ['__proto__', 'constructor']) {
      const body = SPEC_EXAMPLE_TEXT.replace('"user": "john"', `"user": "john", "${key}": {"polluted": true}`);
      expect(reasonOf(validateSubmission(base64(body), DEFAULT_VALIDATION_LIMITS, 'reject'))).toBe('unknown_field');
      expect(reasonOf(validateSubmission(base64(body)))).toBe('valid');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
