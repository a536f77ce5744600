import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** Keys whose values never reach a log line, wherever they appear in the metadata. */
const SECRET_KEYS = /secret|password|token|credential|authorization|session/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  return redactRecord(value, depth);
}

function redactRecord(record: object, depth = 0): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1)]),
  );
}

/** One JSON object per line. JSON.stringify escapes control characters, so sensor data cannot forge log lines. */
export function formatLogEntry(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({ time, level: entry.level, message: entry.message, ...redactRecord(entry.meta ?? {}) });
}

export function createJsonLogger(level: LogLevel = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, (entry) => {
    process.stdout.write(`${formatLogEntry(entry)}\n`);
  });
}
