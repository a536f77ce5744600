import { bodyForTransit, decodeBody, originalBody, validateSubmission } from '../../../src/domain';
import { base64, SPEC_EXAMPLE_TEXT } from './spec-example';

/**
 * A base64 body travels through history as its JSON text only when that is exactly reversible (docs/contract.md#input
 * padding rules), so validation and the quarantine copy see the body exactly as SQS delivered it.
 */
describe('bodyForTransit', () => {
  it('carries canonical padded base64 of JSON text as the text, marked base64, and gives the body back', () => {
    const body = base64(SPEC_EXAMPLE_TEXT);
    expect(bodyForTransit(body)).toEqual({ body: SPEC_EXAMPLE_TEXT, bodyEncoding: 'base64' });
    expect(originalBody(SPEC_EXAMPLE_TEXT, 'base64')).toBe(body);
  });

  it('decodes multi-byte UTF-8 and JSON whitespace around the text exactly', () => {
    for (const text of ['{"user":"jörg 👤"}', ' \n[1]\r\n', '{"a":"\\u0000"}']) {
      const body = base64(text);
      expect(bodyForTransit(body)).toEqual({ body: text, bodyEncoding: 'base64' });
      expect(originalBody(text, 'base64')).toBe(body);
    }
  });

  it.each([
    ['JSON text', SPEC_EXAMPLE_TEXT],
    ['empty', ''],
    ['unpadded base64 (re-encoding would add padding)', base64('{"a":1}', false)],
    ['base64 with a surrounding newline', `${base64(SPEC_EXAMPLE_TEXT)}\n`],
    ['non-zero trailing bits (decodes, re-encodes differently)', 'eyJhIjoxfR=='],
    ['base64 of invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64')],
    ['base64 of text that is not JSON (a scalar)', base64('42')],
    ['base64 of base64 (the text would read as base64 without its mark)', base64(base64('{"a":1}'))],
    ['base64url alphabet', base64('{"a":"??>>"}').replace(/\+/g, '-').replace(/\//g, '_')],
    ['prose', 'hello world'],
  ])('carries anything else exactly as received (%s)', (_label, body) => {
    expect(bodyForTransit(body)).toEqual({ body });
    expect(originalBody(body, undefined)).toBe(body);
  });

  it('never changes a verdict: the text, even read without its mark, is judged as the body', () => {
    const bodies = [
      base64(SPEC_EXAMPLE_TEXT),
      base64(' {"submission_id":"x"} '),
      base64('[1,2]'),
      base64('{"a":1,"a":2}'),
    ];
    for (const body of bodies) {
      const transit = bodyForTransit(body);
      expect(transit.bodyEncoding).toBe('base64');
      expect(decodeBody(transit.body).ok).toBe(true);
      expect(validateSubmission(transit.body)).toEqual(validateSubmission(body));
      expect(validateSubmission(originalBody(transit.body, transit.bodyEncoding))).toEqual(validateSubmission(body));
    }
  });
});
