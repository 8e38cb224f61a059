/** Small statistics for benchmark tables: min / median / max over repeats. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}

/** Per-repeat ratios of two series measured pairwise (repeat i of one against repeat i of the other). */
export function pairedRatios(numerators: readonly number[], denominators: readonly number[]): Spread {
  return spread(numerators.map((value, index) => value / denominators[index]!));
}

/** "median (min-max)", with a precision that suits the magnitude unless `digits` is given. */
export function formatSpread(value: Spread, digits?: number): string {
  if (Number.isNaN(value.median)) return "n/a";
  const places = digits ?? (value.median >= 100 ? 0 : value.median >= 10 ? 1 : 2);
  return `${value.median.toFixed(places)} (${value.min.toFixed(places)}-${value.max.toFixed(places)})`;
}

/** Runs `measure` once per repeat for each side, alternating which side goes first. */
export async function interleaved<Sides extends string>(repeats: number, sides: Record<Sides, () => Promise<number>>): Promise<Record<Sides, number[]>> {
  const names = Object.keys(sides) as Sides[];
  const results = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Sides, number[]>;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const order = repeat % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(await sides[name]());
  }
  return results;
}
