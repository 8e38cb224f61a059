/**
 * Batch gathering: every sequence generating on a context joins each decode.
 *
 * node-llama-cpp batches the sequences of a context in one dispatch loop: it decodes the
 * queued tokens, samples each sequence's next token, hands the tokens back, and then, in
 * the same loop, decodes whatever has been queued again by then. A generating sequence
 * queues its next token only after its token has travelled up through the engine's
 * generators and the consumer's (detokenizing, an SSE write) and come back down, a few
 * dozen promise steps; the loop's own check is a few steps away. So the sequence whose
 * token was sampled last misses every next decode. Measured with 8 streams on 8 sequences:
 * 7 tokens per decode at best, the missing one rotating, so each stream got a token on 7
 * decodes out of 8.
 *
 * The fix: after each decode with more than one sequence generating, the loop waits one
 * turn of the event loop (`setImmediate`) before it looks at the queue. Every sequence's
 * token has been handed back by then (the loop waits for all of them first), and the
 * promise steps that queue the next tokens all run before the turn ends, so the next
 * decode carries every sequence. The wait is a hook node-llama-cpp already awaits after a
 * decode (a sequence's `afterBatchAction`, which takes interval checkpoints); a single
 * generation never waits. These are internals of node-llama-cpp 3.22: when they are
 * missing nothing is installed (test/model/batchGathering.test.ts checks that they are).
 */
import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";

type AfterBatchAction = (sequenceStateLength: number) => unknown;

interface NativeDecoder {
  decodeBatch(): Promise<unknown>;
}

/**
 * Makes each decode of `engineContext` wait for every sequence that is generating: after
 * a decode, while `generating()` counts more than one, the dispatch loop yields one event
 * loop turn before it builds the next batch. Returns false (and changes nothing) when the
 * engine lacks the internals this needs.
 */
export function installBatchGathering(engineContext: LlamaContext, sequences: readonly LlamaContextSequence[], generating: () => number): boolean {
  const native = (engineContext as unknown as { _ctx?: Partial<NativeDecoder> })._ctx;
  const hooks = sequences.map((sequence) => (sequence as unknown as { _takeIntervalCheckpointIfNeededAfterBatch?: AfterBatchAction })._takeIntervalCheckpointIfNeededAfterBatch);
  if (native === undefined || typeof native.decodeBatch !== "function" || !hooks.every((hook) => typeof hook === "function")) return false;

  const decodeBatch = native.decodeBatch.bind(native);
  /** Set by each decode; the first after-batch hook of that decode clears it and yields. */
  let decodedSinceYield = false;
  Object.defineProperty(native, "decodeBatch", {
    value: () => {
      decodedSinceYield = true;
      return decodeBatch();
    },
    configurable: true,
    writable: true,
  });
  sequences.forEach((sequence, index) => {
    const afterBatch = hooks[index]!;
    const gathering: AfterBatchAction = (sequenceStateLength) => {
      const result = afterBatch(sequenceStateLength);
      if (!decodedSinceYield || generating() < 2) return result;
      decodedSinceYield = false;
      const turn = new Promise<void>((resolve) => setImmediate(resolve));
      return result instanceof Promise ? Promise.all([result, turn]) : turn;
    };
    Object.defineProperty(sequence, "_takeIntervalCheckpointIfNeededAfterBatch", { value: gathering, configurable: true, writable: true });
  });
  return true;
}
