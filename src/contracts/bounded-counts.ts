/** Adds `count` under `key`, or under `other` once `counts` holds `maxKeys` keys: history must stay small. */
export function addBounded(counts: Record<string, number>, key: string, maxKeys: number, count = 1): void {
  const slot = key in counts || Object.keys(counts).length < maxKeys ? key : 'other';
  counts[slot] = (counts[slot] ?? 0) + count;
}
