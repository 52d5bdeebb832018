/**
 * "Did you mean" suggestions for misspelt names: the closest candidate by optimal string
 * alignment distance (insertions, deletions, substitutions and swaps of neighbours).
 */

/**
 * The candidate closest to `word`: one that differs only in case, or else one within edit
 * distance 2 that is closer than the word is long (so a one-letter name gets no suggestion
 * but a case fix). Ties go to the earlier candidate. `undefined` when none is close.
 *
 * @example
 * ```ts
 * closestName('omgea', ['theta', 'omega']); // 'omega'
 * closestName('y', ['x']);                  // undefined
 * ```
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(3, word.length);
  for (const c of candidates) {
    if (c === word) continue;
    if (c.toLowerCase() === lower) return c;
    if (Math.abs(c.length - word.length) >= bestDistance) continue;
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Optimal string alignment distance between `a` and `b`.
 *
 * @example
 * ```ts
 * editDistance('omgea', 'omega'); // 1 (one swap)
 * ```
 */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  // Three rolling rows: i - 2, i - 1, i.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let row = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    row[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row[j] = d;
    }
    [prev2, prev, row] = [prev, row, prev2];
  }
  return prev[m];
}
