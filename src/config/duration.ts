/** Temporal duration strings as the CLI and SDK accept them for intervals, e.g. `30s`, `5m`, `1h30m`. */
export const DURATION_PATTERN = /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/;

/** Milliseconds of a duration matching DURATION_PATTERN; NaN for anything else. */
export function durationToMs(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return Number.NaN;
  const [, h, m, s] = match;
  return (parseInt(h ?? '0', 10) * 3600 + parseInt(m ?? '0', 10) * 60 + parseInt(s ?? '0', 10)) * 1000;
}

/** 90000 → "1m30s": the form the CLI and SCHEDULE_INTERVAL use. */
export function formatDurationMs(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text || '0s';
}
