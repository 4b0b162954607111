/** Summaries of timed samples, rounded to a tenth of a millisecond. */

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2 === 1
      ? sorted[middle]
      : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
  return round(value ?? NaN);
}

/** Nearest-rank percentile. */
export function percentile(samples: readonly number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return round(sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? NaN);
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
