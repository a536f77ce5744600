// An independent judge of docs/contract.md#input, written from the specification and the documented decisions (docs/configuration.md, SECURITY.md)
// without the product's schema, decoder, nesting scanner or JSON.parse: its own base64 and JSON parsers, its own
// checks of UUIDs, IPv4 addresses, ports and dates. The fuzzers compare the product against it, so a bug would have
// to be made twice, in two different ways, to go unnoticed.
import type { ValidationLimits } from '../../src/domain/limits';

export interface OracleNewProcess {
  cmdl: string;
  user: string;
}

export interface OracleNetworkConnection {
  source_ip: string;
  destination_ip: string;
  destination_port: number;
}

export interface OracleSubmission {
  submission_id: string;
  device_id: string;
  time_created: string;
  newProcess: OracleNewProcess[];
  networkConnection: OracleNetworkConnection[];
}

export type OracleVerdict = { valid: true; submission: OracleSubmission } | { valid: false; why: string };

type Value = null | boolean | number | string | Value[] | Map<string, Value>;

// Thrown on the first violation; without a stack trace, which would cost more than the whole judgement.
class Invalid extends Error {
  constructor(why: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(why);
    Error.stackTraceLimit = limit;
  }
}

function fail(why: string): never {
  throw new Invalid(why);
}

// UTF-8 bytes of a JavaScript string as Node encodes it: a lone surrogate becomes U+FFFD (3 bytes).
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

// Whether the UTF-8 form is longer than `limit` bytes; counted only when the length alone cannot tell (every UTF-16
// unit is 1 to 3 bytes).
export function exceedsUtf8Bytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8ByteLength(text) > limit;
}

const isWhitespace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SEXTETS = Int8Array.from({ length: 128 }, (_, code) => BASE64_ALPHABET.indexOf(String.fromCharCode(code)));

function decodeBase64(text: string): Uint8Array {
  let padding = 0;
  while (padding < text.length && text[text.length - 1 - padding] === '=') padding++;
  const data = text.slice(0, text.length - padding);
  if (padding > 2) fail('base64: too much padding');
  if (data.length % 4 === 1) fail('base64: impossible length');
  if (padding > 0 && (data.length + padding) % 4 !== 0) fail('base64: wrong padding');
  const bytes = new Uint8Array(Math.floor((data.length * 6) / 8));
  let length = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    const sextet = code < 128 ? (SEXTETS[code] ?? -1) : -1;
    if (sextet < 0) fail('base64: character outside the standard alphabet');
    buffer = ((buffer << 6) | sextet) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[length++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes.subarray(0, length);
}

// A UTF-8 byte-order mark at the start of a base64 body is tolerated (TextDecoder semantics); raw JSON text must
// start with '{' or '['.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBody(body: string): string {
  let start = 0;
  let end = body.length;
  while (start < end && isWhitespace(body[start])) start++;
  while (end > start && isWhitespace(body[end - 1])) end--;
  const text = body.slice(start, end);
  if (text === '') fail('empty body');
  if (text[0] === '{' || text[0] === '[') return text;
  const bytes = decodeBase64(text);
  try {
    return utf8.decode(bytes);
  } catch {
    return fail('base64 of invalid UTF-8');
  }
}

// RFC 8259, strictly, plus I-JSON's unique names; depth counted from 1 at the outermost object or array.
class JsonParser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): Value {
    const value = this.value(0);
    this.skipWhitespace();
    if (this.i !== this.text.length) fail('json: trailing characters');
    return value;
  }

  private skipWhitespace(): void {
    while (isWhitespace(this.text[this.i])) this.i++;
  }

  private value(depth: number): Value {
    this.skipWhitespace();
    const c = this.text[this.i];
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return value;
      }
    }
    return fail('json: unexpected character');
  }

  private object(depth: number): Map<string, Value> {
    if (depth > this.maxDepth) fail('too deep');
    this.i++;
    const map = new Map<string, Value>();
    this.skipWhitespace();
    if (this.text[this.i] === '}') {
      this.i++;
      return map;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.i] !== '"') fail('json: expected a key');
      const key = this.string();
      if (map.has(key)) fail('json: duplicate key');
      this.skipWhitespace();
      if (this.text[this.i] !== ':') fail('json: expected a colon');
      this.i++;
      map.set(key, this.value(depth));
      this.skipWhitespace();
      const next = this.text[this.i++];
      if (next === '}') return map;
      if (next !== ',') fail('json: expected , or }');
    }
  }

  private array(depth: number): Value[] {
    if (depth > this.maxDepth) fail('too deep');
    this.i++;
    const list: Value[] = [];
    this.skipWhitespace();
    if (this.text[this.i] === ']') {
      this.i++;
      return list;
    }
    for (;;) {
      list.push(this.value(depth));
      this.skipWhitespace();
      const next = this.text[this.i++];
      if (next === ']') return list;
      if (next !== ',') fail('json: expected , or ]');
    }
  }

  private string(): string {
    this.i++;
    let out = '';
    for (;;) {
      const c = this.text[this.i++];
      if (c === undefined) fail('json: unterminated string');
      if (c === '"') return out;
      if (c.charCodeAt(0) < 0x20) fail('json: control character in a string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.i++];
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'u') {
        const hex = this.text.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('json: bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 4;
      } else fail('json: bad escape');
    }
  }

  private number(): number {
    const match = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    match.lastIndex = this.i;
    const found = match.exec(this.text);
    if (!found) return fail('json: bad number');
    this.i += found[0].length;
    return Number(found[0]);
  }
}

const HEX = '0123456789abcdefABCDEF';

function isUuid(value: string): boolean {
  if (value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const dash = i === 8 || i === 13 || i === 18 || i === 23;
    if (dash ? value[i] !== '-' : !HEX.includes(value[i] ?? 'x')) return false;
  }
  return true;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c.length === 1 && c >= '0' && c <= '9';

function isIpv4(value: string): boolean {
  const parts = value.split('.');
  if (parts.length !== 4) return false;
  return parts.every((part) => {
    if (part.length < 1 || part.length > 3 || ![...part].every(isDigit)) return false;
    if (part.length > 1 && part[0] === '0') return false;
    return Number(part) <= 255;
  });
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function digitsAt(value: string, at: number, count: number): number | undefined {
  const slice = value.slice(at, at + count);
  return slice.length === count && [...slice].every(isDigit) ? Number(slice) : undefined;
}

// YYYY-MM-DDTHH:MM, then optionally :SS and a fraction of any length; a zone (Z or ±HH:MM, HH ≤ 23) only after
// seconds. At most 64 characters.
export function isTimeCreated(value: string): boolean {
  if (value.length > 64) return false;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined)
    return false;
  if (value[4] !== '-' || value[7] !== '-' || value[10] !== 'T' || value[13] !== ':') return false;
  const monthDays = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > (monthDays[month - 1] ?? 0)) return false;
  if (hour > 23 || minute > 59) return false;
  let at = 16;
  if (at === value.length) return true;
  if (value[at] !== ':') return false;
  const second = digitsAt(value, at + 1, 2);
  if (second === undefined || second > 59) return false;
  at += 3;
  if (value[at] === '.') {
    const fractionStart = ++at;
    while (isDigit(value[at])) at++;
    if (at === fractionStart) return false;
  }
  const zone = value.slice(at);
  if (zone === '' || zone === 'Z') return true;
  if (zone.length !== 6 || (zone[0] !== '+' && zone[0] !== '-') || zone[3] !== ':') return false;
  const zoneHour = digitsAt(zone, 1, 2);
  const zoneMinute = digitsAt(zone, 4, 2);
  return zoneHour !== undefined && zoneMinute !== undefined && zoneHour <= 23 && zoneMinute <= 59;
}

// Unknown keys: `accept` (the default) ignores them where fields live (the root and the entries); `reject` fails.
// The events object is strict under both: its keys are event types, not fields.
type UnknownKeys = 'accept' | 'reject';

function asObject(
  value: Value | undefined,
  allowed: readonly string[],
  required: readonly string[],
  where: string,
  unknownKeys: UnknownKeys = 'reject',
) {
  if (!(value instanceof Map)) return fail(`${where}: not an object`);
  if (unknownKeys === 'reject') {
    for (const key of value.keys()) if (!allowed.includes(key)) fail(`${where}: unknown key`);
  }
  for (const key of required) if (!value.has(key)) fail(`${where}: missing ${key}`);
  return value;
}

function asString(value: Value | undefined, where: string): string {
  if (typeof value !== 'string') return fail(`${where}: not a string`);
  return value;
}

function asList(value: Value | undefined, where: string): Value[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(`${where}: not an array`);
  return value;
}

function judgeDocument(root: Value, limits: ValidationLimits, unknownFields: UnknownKeys): OracleSubmission {
  const doc = asObject(
    root,
    ['submission_id', 'device_id', 'time_created', 'events'],
    ['submission_id', 'device_id', 'time_created'],
    'root',
    unknownFields,
  );
  const submissionId = asString(doc.get('submission_id'), 'submission_id');
  const deviceId = asString(doc.get('device_id'), 'device_id');
  const timeCreated = asString(doc.get('time_created'), 'time_created');
  if (!isUuid(submissionId) || !isUuid(deviceId)) fail('bad uuid');
  if (!isTimeCreated(timeCreated)) fail('bad time_created');

  let processes: Value[] = [];
  let connections: Value[] = [];
  if (doc.has('events')) {
    const events = asObject(doc.get('events'), ['new_process', 'network_connection'], [], 'events');
    processes = asList(events.get('new_process'), 'new_process');
    connections = asList(events.get('network_connection'), 'network_connection');
  }
  if (processes.length + connections.length > limits.maxEventsPerSubmission) fail('too many events');

  const newProcess = processes.map((entry) => {
    const map = asObject(entry, ['cmdl', 'user'], ['cmdl', 'user'], 'new_process entry', unknownFields);
    const cmdl = asString(map.get('cmdl'), 'cmdl');
    const user = asString(map.get('user'), 'user');
    if (cmdl.length > limits.maxFieldLength || user.length > limits.maxFieldLength) fail('field too long');
    return { cmdl, user };
  });
  const fields = ['source_ip', 'destination_ip', 'destination_port'];
  const networkConnection = connections.map((entry) => {
    const map = asObject(entry, fields, fields, 'network_connection entry', unknownFields);
    const source = asString(map.get('source_ip'), 'source_ip');
    const destination = asString(map.get('destination_ip'), 'destination_ip');
    const port = map.get('destination_port');
    if (!isIpv4(source) || !isIpv4(destination)) fail('bad ipv4');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) fail('bad port');
    return { source_ip: source, destination_ip: destination, destination_port: port };
  });
  return { submission_id: submissionId, device_id: deviceId, time_created: timeCreated, newProcess, networkConnection };
}

export interface OracleRecordOptions {
  includeProvenance: boolean;
  partitionKeyField: 'device_id' | 'submission_id';
  processedAt: Date;
  /** The unknown-field policy judged (docs/compatibility.md); absent: the product's default, accept. */
  unknownFields?: UnknownKeys;
}

// The records docs/contract.md#output asks for, without event ids (the caller checks those separately), in contract order.
export function expectedEvents(submission: OracleSubmission, options: OracleRecordOptions): Record<string, unknown>[] {
  const time = options.processedAt.toISOString();
  const events: Record<string, unknown>[] = [
    ...submission.newProcess.map((entry) => ({ ...entry, type: 'new_process' })),
    ...submission.networkConnection.map((entry) => ({ ...entry, type: 'network_connection' })),
  ];
  return events.map((event, index) => ({
    ...event,
    device_id: submission.device_id,
    time_created: time,
    ...(options.includeProvenance ? { submission_id: submission.submission_id, event_index: index } : {}),
  }));
}

// Every event id is a 36-character ASCII UUID, so a placeholder of the same length gives the exact record size.
const PLACEHOLDER_EVENT_ID = '00000000-0000-0000-0000-000000000000';

function checkRecordSizes(submission: OracleSubmission, limits: ValidationLimits, options: OracleRecordOptions): void {
  const partitionKeyBytes = utf8ByteLength(submission[options.partitionKeyField]);
  for (const event of expectedEvents(submission, options)) {
    const record = JSON.stringify({ ...event, event_id: PLACEHOLDER_EVENT_ID });
    if (exceedsUtf8Bytes(record, limits.maxRecordBytes - partitionKeyBytes)) fail('record too large');
  }
}

// The whole verdict on one message body. Record sizes depend on the transform's options, so they are part of it.
export function judgeBody(body: unknown, limits: ValidationLimits, options: OracleRecordOptions): OracleVerdict {
  try {
    if (typeof body !== 'string') fail('body is not a string');
    if (exceedsUtf8Bytes(body, limits.maxBodyBytes)) fail('body too large');
    const text = decodeBody(body);
    const document = new JsonParser(text, limits.maxNestingDepth).parseDocument();
    const submission = judgeDocument(document, limits, options.unknownFields ?? 'accept');
    checkRecordSizes(submission, limits, options);
    return { valid: true, submission };
  } catch (error) {
    if (error instanceof Invalid) return { valid: false, why: error.message };
    throw error;
  }
}
