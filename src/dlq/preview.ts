import type { Message } from '@aws-sdk/client-sqs';
import { formatDurationMs } from '../config/duration';

/**
 * One line per dead letter for an operator's terminal. Bodies are telemetry (G8 confidentiality: command lines, users,
 * addresses), so only a bounded prefix is shown, and escaped: a body is attacker-influenced text and must not move the
 * cursor, recolour the terminal or hide itself behind bidi controls.
 */
export interface MessagePreview {
  id: string;
  receiveCount: number | undefined;
  sizeBytes: number;
  sentAtMs: number | undefined;
  head: string;
  truncated: boolean;
}

export const DEFAULT_PREVIEW_BYTES = 64;
export const MAX_PREVIEW_BYTES = 1024;

export function previewMessage(message: Message, previewBytes: number): MessagePreview {
  const body = Buffer.from(message.Body ?? '', 'utf8');
  const sent = Number(message.Attributes?.SentTimestamp);
  const count = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    id: message.MessageId ?? '(no id)',
    receiveCount: Number.isFinite(count) ? count : undefined,
    sizeBytes: body.length,
    sentAtMs: Number.isFinite(sent) ? sent : undefined,
    // A cut inside a multi-byte character decodes to U+FFFD, which escapeForTerminal then shows as \ufffd.
    head: escapeForTerminal(body.subarray(0, previewBytes).toString('utf8')),
    truncated: body.length > previewBytes,
  };
}

/**
 * Printable ASCII stays (a backslash and a double quote escaped, so the quoted preview is unambiguous); everything
 * else (controls, ESC, non-ASCII, bidi overrides) becomes a visible escape.
 */
export function escapeForTerminal(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return out;
}

export function formatPreview(p: MessagePreview, nowMs: number, showBody: boolean): string {
  const age = p.sentAtMs === undefined ? '?' : formatDurationMs(Math.max(0, nowMs - p.sentAtMs));
  const fields = [
    p.id,
    `receives=${p.receiveCount ?? '?'}`,
    `size=${p.sizeBytes}B`,
    `age=${age}`,
    ...(showBody ? [`body="${p.head}"${p.truncated ? '…' : ''}`] : []),
  ];
  return `  ${fields.join('  ')}`;
}

/** Oldest SentTimestamp among the messages seen, as an age; undefined when none carried one. */
export function oldestAgeMs(previews: readonly MessagePreview[], nowMs: number): number | undefined {
  const sent = previews.flatMap((p) => (p.sentAtMs === undefined ? [] : [p.sentAtMs]));
  return sent.length === 0 ? undefined : Math.max(0, nowMs - Math.min(...sent));
}
