import { decodeBody } from '../../../src/domain';
import { base64, SPEC_EXAMPLE_TEXT } from './spec-example';

describe('decodeBody', () => {
  it('passes JSON text through (trimmed of JSON whitespace)', () => {
    expect(decodeBody(` \n${SPEC_EXAMPLE_TEXT}\r\n`)).toEqual({ ok: true, text: SPEC_EXAMPLE_TEXT });
    expect(decodeBody('[1]')).toEqual({ ok: true, text: '[1]' });
  });

  it.each([
    ['padded', base64(SPEC_EXAMPLE_TEXT)],
    ['unpadded', base64(SPEC_EXAMPLE_TEXT, false)],
    ['with surrounding newline', `${base64(SPEC_EXAMPLE_TEXT)}\n`],
  ])('decodes standard base64 of UTF-8 (%s)', (_label, body) => {
    expect(decodeBody(body)).toEqual({ ok: true, text: SPEC_EXAMPLE_TEXT });
  });

  it('decodes multi-byte UTF-8', () => {
    expect(decodeBody(base64('{"user":"jörg 👤"}', false))).toEqual({ ok: true, text: '{"user":"jörg 👤"}' });
  });

  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t'],
    ['prose', 'hello world'],
    ['base64url alphabet', base64('{"a":"??>>"}').replace(/\+/g, '-').replace(/\//g, '_') + '-_'],
    ['junk inside base64 (Buffer would skip it)', 'eyJh!!!IjoxfQ=='],
    ['impossible length 4n+1', 'eyJhIjoxfQ'.slice(0, 9)],
    ['padding in the middle', 'ey==JhIjoxfQ'],
    ['too much padding', 'eyJhIjoxfQ==='],
    ['padding with a wrong total length', 'eyJhIjoxfQ='],
    ['base64 of invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b]).toString('base64')],
    ['a raw JSON scalar', 'null'],
    ['a raw JSON string', '"text"'],
  ])('rejects a body that is neither (%s) as undecodable_body', (_label, body) => {
    const result = decodeBody(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('undecodable_body');
  });

  it('handles a long run of whitespace without backtracking', () => {
    const body = `${' '.repeat(200_000)}x${' '.repeat(10)}`;
    const started = process.hrtime.bigint();
    expect(decodeBody(body).ok).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });
});
