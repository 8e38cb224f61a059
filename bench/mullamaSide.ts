/** The measured side: mullama's public API, timed from the consumer's seat like the raw loop. */
import type { Context } from "../src/index.ts";
import type { DecodeMeasurement } from "./rawEngine.ts";

/** Greedy `generateStreaming` of `tokens` tokens; times the callbacks, as a user would see them. */
export async function mullamaGenerate(context: Context, promptTokens: readonly number[], tokens: number): Promise<DecodeMeasurement> {
  const started = performance.now();
  let first = 0;
  let last = 0;
  let firstCount = 0;
  let count = 0;
  const result = await context.generateStreaming(
    promptTokens,
    tokens,
    (_text, event) => {
      last = performance.now();
      if (first === 0) {
        first = last;
        firstCount = event.tokenCount;
      }
      count = event.tokenCount;
    },
    { temperature: 0 },
  );
  if (result.tokenCount < tokens) throw new Error(`mullama generated ${result.tokenCount} of ${tokens} tokens (${result.stopReason})`);
  return { decodedTokens: count - firstCount, decodeMs: last - first, firstTokenMs: first - started, text: result.text };
}
