/**
 * Download speed over a sliding window of recent samples (a few seconds), so the speed
 * and the time left follow the connection as it is now rather than since the start.
 */

/** How far back the speed looks, in milliseconds. */
export const speedWindowMs = 5_000;

export class TransferMeter {
  readonly #samples: { at: number; bytes: number }[] = [];
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Records that `bytes` in total have arrived. */
  record(bytes: number): void {
    const at = this.#now();
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > speedWindowMs) this.#samples.shift();
  }

  /** Bytes per second over the window; 0 until two samples span some time. */
  get bytesPerSecond(): number {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (first === undefined || last === undefined || last.at <= first.at) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** Seconds until `totalBytes` at the current speed, or undefined while the speed is unknown. */
  secondsLeft(totalBytes: number | undefined): number | undefined {
    const speed = this.bytesPerSecond;
    const last = this.#samples.at(-1);
    if (totalBytes === undefined || last === undefined || speed <= 0) return undefined;
    return Math.max(0, (totalBytes - last.bytes) / speed);
  }

  /** Starts over (a new file). */
  reset(): void {
    this.#samples.length = 0;
  }
}
