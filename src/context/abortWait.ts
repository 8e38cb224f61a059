/**
 * Races promises against an abort signal with one listener for many races, so waiting
 * on a callback's promise per token costs no listener churn. Once the signal fires, every
 * race settles at once with `false`; the raced promise, settling later, is ignored.
 */
export class AbortWait {
  readonly #signal: AbortSignal;
  #aborted: Promise<false> | undefined;
  #onAbort: (() => void) | undefined;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /** The promise's value, or `false` as soon as the signal fires (a later rejection is swallowed). */
  race<T>(promise: Promise<T>): Promise<T | false> {
    if (this.#signal.aborted) {
      promise.catch(() => {});
      return Promise.resolve(false);
    }
    this.#aborted ??= new Promise<false>((resolve) => {
      this.#onAbort = () => resolve(false);
      this.#signal.addEventListener("abort", this.#onAbort, { once: true });
    });
    return Promise.race([promise, this.#aborted]).finally(() => {
      if (this.#signal.aborted) promise.catch(() => {});
    });
  }

  /** Removes the listener (the signal may outlive the generation: a context's own). */
  dispose(): void {
    if (this.#onAbort !== undefined) this.#signal.removeEventListener("abort", this.#onAbort);
    this.#onAbort = undefined;
  }
}
