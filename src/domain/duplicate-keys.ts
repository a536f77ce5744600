const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

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
