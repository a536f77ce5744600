/** Temporal duration strings as the CLI and SDK accept them for intervals, e.g. `30s`, `5m`, `1h30m`. */
export const DURATION_PATTERN = /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/;

/** Milliseconds of a duration matching DURATION_PATTERN; NaN for anything else. */
export function durationToMs(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return Number.NaN;
  const [, h, m, s] = match;
  return (parseInt(h ?? '0', 10) * 3600 + parseInt(m ?? '0', 10) * 60 + parseInt(s ?? '0', 10)) * 1000;
}
