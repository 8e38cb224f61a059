/**
 * Speed figures of one answer, as the page measures them: time to first token from the
 * moment the request left (queueing and prompt processing included, what the user waits
 * for), and tokens per second over the decoding that followed it.
 */

export interface GenerationStats {
  /** Tokens generated: the server's count, or the text chunks received when the answer was stopped. */
  tokens: number;
  /** Milliseconds from sending to the first text; absent when no text came. */
  timeToFirstTokenMs?: number;
  /** Tokens after the first, per second of decoding after it; absent when too few or too quick to measure. */
  tokensPerSecond?: number;
}

/**
 * Below this much time between the first and the last text, arrival times say nothing
 * about decoding speed (a small model's tokens reach the page in one network read), in
 * milliseconds.
 */
const shortestMeasurableMs = 50;

export class StatsClock {
  readonly #startedAt = performance.now();
  #firstTextAt: number | undefined;
  #lastTextAt: number | undefined;
  #chunks = 0;

  /** Call on every text chunk (one per token: the server sends each token's text as it comes). */
  text(): void {
    const now = performance.now();
    this.#firstTextAt ??= now;
    this.#lastTextAt = now;
    this.#chunks++;
  }

  /** The figures; `tokens` from the server's usage when it sent one. */
  finish(tokens?: number): GenerationStats {
    const count = tokens ?? this.#chunks;
    const stats: GenerationStats = { tokens: count };
    if (this.#firstTextAt !== undefined) stats.timeToFirstTokenMs = this.#firstTextAt - this.#startedAt;
    const decodingMs = this.#firstTextAt === undefined || this.#lastTextAt === undefined ? 0 : this.#lastTextAt - this.#firstTextAt;
    if (count >= 2 && decodingMs >= shortestMeasurableMs) stats.tokensPerSecond = ((count - 1) * 1000) / decodingMs;
    return stats;
  }
}

export function formatStats(stats: GenerationStats): string {
  const parts = [`${stats.tokens} ${stats.tokens === 1 ? "token" : "tokens"}`];
  if (stats.tokensPerSecond !== undefined) parts.push(`${stats.tokensPerSecond.toFixed(1)} tokens/s`);
  if (stats.timeToFirstTokenMs !== undefined) parts.push(`first token ${formatDuration(stats.timeToFirstTokenMs)}`);
  return parts.join(" · ");
}

function formatDuration(milliseconds: number): string {
  return milliseconds < 1000 ? `${Math.round(milliseconds)} ms` : `${(milliseconds / 1000).toFixed(2)} s`;
}
