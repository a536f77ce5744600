import { ratio } from './stats';
import type { ConfigResult } from './types';

/**
 * Temporal over raw events/s for each pair measured, in order: the first pair is `first` (the lanes-N run) and the
 * first raw run, the others are the results `--pairs` tagged. A pair with a failed verification has no ratio.
 */
export function pairRatios(backlog: readonly ConfigResult[], first: ConfigResult | undefined): number[] {
  const firstRaw = backlog.find((c) => c.kind === 'raw' && c.pair === undefined);
  const pairs: Array<[ConfigResult | undefined, ConfigResult | undefined]> = [[first, firstRaw]];
  const tags = [...new Set(backlog.flatMap((c) => (c.pair === undefined ? [] : [c.pair])))];
  for (const tag of tags) {
    const inPair = backlog.filter((c) => c.pair === tag);
    pairs.push([inPair.find((c) => c.kind === 'temporal'), inPair.find((c) => c.kind === 'raw')]);
  }
  return pairs.flatMap(([temporal, raw]) => {
    if (!temporal?.verify.ok || !raw?.verify.ok) return [];
    const r = ratio(temporal.eventsPerSec, raw.eventsPerSec);
    return r === null ? [] : [r];
  });
}
