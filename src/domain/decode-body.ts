import type { InvalidReason } from './reasons';

export type DecodeBodyResult = { ok: true; text: string } | { ok: false; reason: InvalidReason; detail: string };

// Standard alphabet only (not base64url), 0-2 '=' of padding that may be omitted. Checked strictly because Node's
// Buffer base64 decoder silently skips characters outside the alphabet, which would "decode" arbitrary junk.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

// JSON's insignificant whitespace (RFC 8259), which a producer may leave around either form. Trimmed by hand:
// the obvious /[ \t\n\r]+$/ backtracks quadratically on a long run of whitespace followed by anything else.
function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function trimJsonWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isJsonWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isJsonWhitespace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isStandardBase64(text: string): boolean {
  if (!BASE64.test(text)) return false;
  const unpadded = text.replace(/=+$/, '');
  // A length of 4n+1 cannot come from any byte string; with padding present the total must be whole quads.
  if (unpadded.length % 4 === 1) return false;
  return unpadded.length === text.length || text.length % 4 === 0;
}

// docs/contract.md#input encoding: the body is either the JSON text itself or standard base64 of its UTF-8 bytes. A body whose
// first significant character is '{' or '[' is JSON text: neither character is in the base64 alphabet, so the
// two forms never overlap. Anything else must be base64 of valid UTF-8; a JSON scalar sent as raw text (42, null,
// "x") is therefore undecodable here, which is fine since a submission must be an object anyway.
export function decodeBody(body: string): DecodeBodyResult {
  const trimmed = trimJsonWhitespace(body);
  if (trimmed === '') {
    return { ok: false, reason: 'undecodable_body', detail: 'body is empty' };
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return { ok: true, text: trimmed };
  }
  if (!isStandardBase64(trimmed)) {
    return { ok: false, reason: 'undecodable_body', detail: 'body is neither JSON text nor standard base64' };
  }
  try {
    return { ok: true, text: utf8.decode(Buffer.from(trimmed, 'base64')) };
  } catch {
    return { ok: false, reason: 'undecodable_body', detail: 'base64 body does not decode to valid UTF-8' };
  }
}

/**
 * How a body travels through the workflow's history. Base64 barely compresses, so a base64 body travels as the JSON
 * text it encodes, marked `base64`, but only when that is exactly reversible: standard padded base64 of valid UTF-8
 * that re-encodes to the very same string, and JSON text (first significant character `{` or `[`), so that the text
 * read without its mark means the same submission (decodeBody reads it as JSON text). Anything else travels as
 * received. `originalBody` gives back the body as SQS delivered it, for validation and the quarantine copy.
 */
export type BodyEncoding = 'base64';

export interface BodyInTransit {
  body: string;
  bodyEncoding?: BodyEncoding;
}

export function bodyForTransit(body: string): BodyInTransit {
  // Cheap rejections first: JSON text, or anything that is not whole quads of the standard alphabet.
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) return { body };
  let text: string;
  try {
    text = utf8.decode(Buffer.from(body, 'base64'));
  } catch {
    return { body };
  }
  const first = trimJsonWhitespace(text).charAt(0);
  if (first !== '{' && first !== '[') return { body };
  if (Buffer.from(text, 'utf8').toString('base64') !== body) return { body };
  return { body: text, bodyEncoding: 'base64' };
}

export function originalBody(body: string, bodyEncoding: BodyEncoding | undefined): string {
  return bodyEncoding === 'base64' ? Buffer.from(body, 'utf8').toString('base64') : body;
}
