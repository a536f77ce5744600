// Details end up in logs, metrics labels' neighbours, search attributes and the Temporal UI, and they quote
// attacker-controlled text (JSON keys, parser snippets). Control characters, Unicode line separators and bidi
// overrides are escaped so a detail can never forge a log line or disguise itself; the length is bounded so one
// hostile message cannot bloat workflow history.
export const MAX_DETAIL_LENGTH = 240;

// C0, DEL, C1, line/paragraph separators, and the bidi marks, embeddings, overrides and isolates.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export function safeDetail(text: string, maxLength: number = MAX_DETAIL_LENGTH): string {
  // Escaping a string far longer than the bound would be wasted work; every escape is at most 6 characters.
  const escaped = text.slice(0, maxLength + 1).replace(UNSAFE_CHARACTERS, escapeCharacter);
  if (escaped.length <= maxLength && text.length <= maxLength) return escaped;
  let cut = escaped.slice(0, maxLength - 1);
  // Never leave half of a surrogate pair at the cut.
  if (cut.length > 0 && isHighSurrogate(cut.charCodeAt(cut.length - 1))) cut = cut.slice(0, -1);
  return `${cut}…`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

// events.new_process[0].cmdl — the notation a reader expects; odd keys are quoted so they cannot fake a path.
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let formatted = '';
  for (const key of path) {
    if (typeof key === 'number') formatted += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) formatted += formatted === '' ? key : `.${key}`;
    else formatted += `[${JSON.stringify(String(key))}]`;
  }
  return formatted;
}
