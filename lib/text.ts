/** Shorten text for one line of output, keeping its start. */
export function shorten(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** ISO time without milliseconds, e.g. 2026-11-24T06:10:41Z. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The one word of `words` a typo of `typed` most likely meant: within two edits (a letter left
 * out, added, changed or two swapped), and nearer than any other; undefined when none or a tie.
 */
export function meant(typed: string, words: Iterable<string>): string | undefined {
  const scored = [...new Set(words)].map((w) => ({ w, d: edits(typed.toLowerCase(), w.toLowerCase()) })).filter((x) => x.d <= 2);
  if (typed.length < 3 || !scored.length) return undefined;
  const best = Math.min(...scored.map((x) => x.d));
  const at = scored.filter((x) => x.d === best);
  return at.length === 1 ? at[0]!.w : undefined;
}

/** Edits from a to b (optimal string alignment: insert, delete, change, swap two neighbours). */
function edits(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}
