/**
 * "Did you mean ...?" for a name someone mistyped (a queue, a config key): the known name closest to what was
 * written, or undefined when none is close enough to be worth suggesting.
 */

/** Edit distance with transpositions (optimal string alignment): "defaultUsr" is one edit from "defaultUser". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `written`, ignoring case: an exact match but for case first, then one that contains or
 * is contained in it ("Sales-typo" -> "sales"), then the nearest by edit distance within a third of its length.
 */
export function closest(written: string, candidates: readonly string[]): string | undefined {
  const w = written.toLowerCase();
  const lower = candidates.map((c) => c.toLowerCase());
  const exact = lower.indexOf(w);
  if (exact >= 0) return candidates[exact];
  // Containment counts only between names long enough to mean something (not "s" inside "support").
  const within = w.length < 3 ? [] : candidates.filter((_, i) => lower[i]!.length >= 3 && (w.includes(lower[i]!) || lower[i]!.includes(w)));
  if (within.length) return within.sort((a, b) => Math.abs(a.length - w.length) - Math.abs(b.length - w.length))[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const d = distance(w, lower[i]!);
    if (d < bestD) [best, bestD] = [candidates[i], d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(Math.max(w.length, best.length) / 3)) ? best : undefined;
}
