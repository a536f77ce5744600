// Linear passes over JSON text that JSON.parse cannot do for us: both track strings, so brackets, commas and colons
// inside them do not count.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

// Run before JSON.parse, so a body of nested brackets is rejected with a precise reason without building (and later
// walking) a deep object graph. On malformed text its answer may be meaningless, but JSON.parse rejects such text
// anyway; on every prefix JSON.parse accepts, this depth equals the parser's.
export function exceedsNestingDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      if (depth > maxDepth) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

interface ObjectFrame {
  keys: Set<string>;
  expectingKey: boolean;
}

// JSON.parse keeps the last of two equal keys; other parsers keep the first or fail. A body that means different
// things to different readers (a quarantine consumer, an analyst's tool, a WAF) is rejected instead: I-JSON (RFC 7493)
// forbids duplicate names. Keys are compared decoded, so "a" and "\u0061" are the same key.
// Runs only on text JSON.parse has accepted, so the text is well-formed and one linear pass is exact.
export function findDuplicateKey(text: string): string | undefined {
  // null marks an array: its strings are values, never keys.
  const stack: (ObjectFrame | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === BACKSLASH) {
          escaped = true;
          i++;
        } else if (inner === QUOTE) {
          break;
        }
      }
      const frame = stack[stack.length - 1];
      if (frame && frame.expectingKey) {
        const raw = text.slice(start, i + 1);
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (frame.keys.has(key)) return key;
        frame.keys.add(key);
        frame.expectingKey = false;
      }
    } else if (code === OPEN_BRACE) {
      stack.push({ keys: new Set(), expectingKey: true });
    } else if (code === OPEN_BRACKET) {
      stack.push(null);
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      stack.pop();
    } else if (code === COMMA) {
      const frame = stack[stack.length - 1];
      if (frame) frame.expectingKey = true;
    } else if (code === COLON) {
      const frame = stack[stack.length - 1];
      if (frame) frame.expectingKey = false;
    }
  }
  return undefined;
}
