import { DefaultLogger, type LogEntry, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';

const REDACTED = '[redacted]';

/**
 * Deny-list of credential names, matched against a name with case, `_`, `-` and `.` removed, so `TEMPORAL_API_KEY`,
 * `temporalApiKey`, `api-key` and `apiKey` are one name. A substring hit is enough: `AWS_SECRET_ACCESS_KEY`,
 * `sessionToken`, `TEMPORAL_TLS_CLIENT_KEY_PATH`, `clientCertPair`, `serverRootCACertificate`, `passwd`.
 */
const SECRET_NAME_PARTS = [
  'secret',
  'password',
  'passwd',
  'passphrase',
  'token',
  'credential',
  'authorization',
  'cookie',
  'session',
  'apikey',
  'accesskey',
  'privatekey',
  'secretkey',
  'signingkey',
  'clientkey',
  'tlskey',
  'payloadkey',
  'encryptionkey',
  'cert',
];
/** Whole names only: too short or common to match inside other names (`partitionKey` is not a secret). */
const SECRET_NAMES = new Set(['key', 'keys', 'crt', 'pem', 'auth']);

const normalise = (name: string): string => name.toLowerCase().replace(/[_\-.\s]/g, '');

export function isSecretName(name: string): boolean {
  const n = normalise(name);
  return SECRET_NAMES.has(n) || SECRET_NAME_PARTS.some((part) => n.includes(part));
}

// `NAME=value`, `NAME: value`, `"name":"value"` inside free text (an error message that echoes an environment or a
// request). The value runs to whitespace, a separator or the closing quote.
const ASSIGNMENT = /([A-Za-z][A-Za-z0-9_.-]*)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',;&}\]]+)/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;

/** A string with every credential it spells out replaced. */
export function redactText(text: string): string {
  return redactAssignments(
    text.replace(PEM_BLOCK, REDACTED).replace(BEARER, (_, scheme: string) => `${scheme} ${REDACTED}`),
  );
}

function redactAssignments(text: string): string {
  const pattern = new RegExp(ASSIGNMENT.source, 'g');
  let out = '';
  let copiedUpTo = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const [, name = '', separator = '', value = ''] = m;
    if (!isSecretName(name)) {
      // Not a secret: rescan from its value, which may itself be `SECRET=...` (`env: AWS_SESSION_TOKEN=...`).
      pattern.lastIndex = m.index + name.length + separator.length;
      continue;
    }
    const quote = value.startsWith('"') || value.startsWith("'") ? value.charAt(0) : '';
    out += `${text.slice(copiedUpTo, m.index)}${name}${separator}${quote}${REDACTED}${quote}`;
    copiedUpTo = m.index + m[0].length;
  }
  return out + text.slice(copiedUpTo);
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  // Too deep to inspect: dropped rather than printed unchecked.
  if (depth > 6 && value !== null && typeof value === 'object') return '[too deep]';
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  return redactRecord(value, depth);
}

function redactRecord(record: object, depth = 0): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, isSecretName(k) ? REDACTED : redact(v, depth + 1)]),
  );
}

/** One JSON object per line. JSON.stringify escapes control characters, so sensor data cannot forge log lines. */
export function formatLogEntry(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({
    time,
    level: entry.level,
    message: redactText(entry.message),
    ...redactRecord(entry.meta ?? {}),
  });
}

/**
 * A message the SDK logs that this project expects and that asks nothing of an operator (the worker start-up notes in
 * src/worker/pipeline-workers.ts, `expectedStartupMessages`): logged at DEBUG instead of its own level. It matches only
 * an entry with exactly this level and text, from the SDK's worker (`sdkComponent: worker`), and, when `taskQueue` is
 * given, a task queue it accepts; every other entry keeps its level.
 */
export interface ExpectedSdkMessage {
  level: LogLevel;
  message: string;
  taskQueue?: (name: string) => boolean;
}

function isExpectedSdkMessage(
  expected: readonly ExpectedSdkMessage[],
  level: LogLevel,
  message: string,
  meta: LogMetadata | undefined,
): boolean {
  if (meta?.sdkComponent !== 'worker') return false;
  const taskQueue: unknown = meta.taskQueue;
  return expected.some(
    (e) =>
      e.level === level &&
      e.message === message &&
      (e.taskQueue === undefined || (typeof taskQueue === 'string' && e.taskQueue(taskQueue))),
  );
}

/**
 * The worker's logger: one JSON line per entry at `level` and above on stdout (`write` in tests), with the `expected`
 * SDK messages demoted to DEBUG.
 */
export function createJsonLogger(
  level: LogLevel = 'INFO',
  expected: readonly ExpectedSdkMessage[] = [],
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const out = new DefaultLogger(level, (entry) => {
    write(`${formatLogEntry(entry)}\n`);
  });
  const log = (entryLevel: LogLevel, message: string, meta?: LogMetadata): void => {
    out.log(isExpectedSdkMessage(expected, entryLevel, message, meta) ? 'DEBUG' : entryLevel, message, meta);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
