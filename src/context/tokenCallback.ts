/**
 * The callback API over a stream, shared by local and remote contexts: `onToken` gets each
 * piece of text, and returning `false` stops. An abort (or a dispose) ends the wait on a
 * callback's pending promise at once; a promise that settles later is ignored.
 */
import { GenerationError, errorMessage } from "../errors.js";
import type { GenerationResult, TokenEvent } from "../generation/events.js";
import type { TokenStream } from "../streaming/TokenStream.js";
import { AbortWait } from "./abortWait.js";

/**
 * Called with each piece of text. Return `false` (or a promise of false) to stop;
 * anything else continues. An exception rejects the generation with it as `cause`.
 */
export type TokenCallback = (text: string, event: TokenEvent) => boolean | void | Promise<boolean | void>;

/** Reads `stream` into `onToken` until it ends, the callback says `false`, or `stopSignal` fires; resolves to the result. */
export async function streamToCallback(stream: TokenStream, onToken: TokenCallback, stopSignal: AbortSignal): Promise<GenerationResult> {
  const stopped = new AbortWait(stopSignal);
  try {
    for await (const event of stream) {
      let verdict: boolean | void;
      try {
        const returned = onToken(event.text, event);
        // Await only what needs awaiting: a microtask per token is measurable on small models.
        verdict = returned instanceof Promise ? await stopped.race(returned) : returned;
      } catch (error) {
        throw new GenerationError(`The token callback threw: ${errorMessage(error)}`, { cause: error });
      }
      if (verdict === false || stopSignal.aborted) break;
    }
  } finally {
    stopped.dispose();
  }
  return stream.result;
}
