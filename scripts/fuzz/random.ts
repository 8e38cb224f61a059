/**
 * A small seeded random generator (mulberry32), so every fuzz case can be rebuilt from
 * its seed and index alone: a failure report names a case, and the case is reproducible.
 */
export class Random {
  #state: number;

  /** `seed` and `stream` (for example the case index) together pick the sequence. */
  constructor(seed: number, stream = 0) {
    // Mixing the two through an integer hash keeps neighbouring cases unrelated.
    this.#state = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul((stream + 0x632be5ab) >>> 0, 0xc2b2ae35);
    for (let warmUp = 0; warmUp < 4; warmUp++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let value = this.#state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [0, limit). */
  below(limit: number): number {
    return Math.floor(this.next() * limit);
  }

  /** An integer in [low, high]. */
  between(low: number, high: number): number {
    return low + this.below(high - low + 1);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("cannot pick from an empty list");
    return items[this.below(items.length)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}
