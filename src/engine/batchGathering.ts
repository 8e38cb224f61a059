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
 * generation never waits.
 *
 * The same loop holds the context's lock from its first decode until its queue is empty,
 * and erasing a sequence's cache (what a new prompt on a reused sequence needs first)
 * takes that lock. With the queue refilled before every check, the loop never ends while
 * anything generates, so a new generation waited for every running one to finish: 8
 * requests a few milliseconds apart ran 1, then 7. So the loop also gives the lock up:
 * while such work waits (`withContextLock`), the decode hook sets the queued decodes
 * aside, the loop finds its queue empty and ends, the waiting work runs (the lock serves
 * in order), and the decodes go back into the queue with a new dispatch.
 *
 * And the queue is kept in order of sequence id. With one KV cache stream per sequence
 * (node-llama-cpp's setting, and llama-server's), llama.cpp splits a batch into as many
 * micro-batches as it takes to keep the sequence ids of each one consecutive and rising;
 * tokens queued as they arrived (sequence 3, then 0, then 5...) made a batch of 8
 * sequences 8 micro-batches, one full pass over the weights each: a decode of 8 tokens
 * took 40 ms against 5.8 for one token.
 *
 * These are internals of node-llama-cpp 3.22: when they are missing nothing is installed
 * (test/model/batchGathering.test.ts checks that they are).
 */
import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";

type AfterBatchAction = (sequenceStateLength: number) => unknown;

interface NativeDecoder {
  decodeBatch(): Promise<unknown>;
}

interface QueuedDecode {
  sequenceId: number;
}

/** The dispatch loop's queue, on the context object. */
interface DispatchQueue {
  _queuedDecodes: QueuedDecode[];
  _queuedDecodeSequenceIds: Set<number>;
  _scheduleDecode(): void;
}

/** What the installed hooks add to a context. */
export interface DispatchLoop {
  /**
   * Runs `work`, which takes node-llama-cpp's context lock (erasing a sequence's cache),
   * making the dispatch loop hand that lock over after its current decode instead of
   * holding it until every generation has ended.
   */
  withContextLock<T>(work: () => Promise<T>): Promise<T>;
}

function isDispatchQueue(value: Partial<DispatchQueue>): value is DispatchQueue {
  return Array.isArray(value._queuedDecodes) && value._queuedDecodeSequenceIds instanceof Set && typeof value._scheduleDecode === "function";
}

/**
 * Makes each decode of `engineContext` wait for every sequence that is generating: after
 * a decode, while `generating()` counts more than one, the dispatch loop yields one event
 * loop turn before it builds the next batch; and lets work that needs the context lock in
 * between decodes. Returns undefined (and changes nothing) when the engine lacks the
 * internals this needs.
 */
export function installBatchGathering(engineContext: LlamaContext, sequences: readonly LlamaContextSequence[], generating: () => number): DispatchLoop | undefined {
  const native = (engineContext as unknown as { _ctx?: Partial<NativeDecoder> })._ctx;
  const queue = engineContext as unknown as Partial<DispatchQueue>;
  const hooks = sequences.map((sequence) => (sequence as unknown as { _takeIntervalCheckpointIfNeededAfterBatch?: AfterBatchAction })._takeIntervalCheckpointIfNeededAfterBatch);
  if (native === undefined || typeof native.decodeBatch !== "function" || !isDispatchQueue(queue) || !hooks.every((hook) => typeof hook === "function")) return undefined;

  keepInSequenceOrder(queue._queuedDecodes);
  const decodeBatch = native.decodeBatch.bind(native);
  /** Set by each decode; the first after-batch hook of that decode clears it and yields. */
  let decodedSinceYield = false;
  /** Callers of withContextLock not finished. */
  let lockWaiters = 0;
  /** Decodes set aside so that the loop ends and hands the lock over. */
  let setAside: QueuedDecode[] = [];
  const putBack = () => {
    if (setAside.length === 0) return;
    queue._queuedDecodes.push(...setAside);
    for (const decode of setAside) queue._queuedDecodeSequenceIds.add(decode.sequenceId);
    setAside = [];
    queue._scheduleDecode();
  };
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
      if (!decodedSinceYield || (generating() < 2 && lockWaiters === 0)) return result;
      decodedSinceYield = false;
      const turn = new Promise<void>((resolve) =>
        setImmediate(() => {
          // Every next token is queued by now; the loop checks its queue right after this.
          if (lockWaiters > 0) {
            for (const decode of queue._queuedDecodes) queue._queuedDecodeSequenceIds.delete(decode.sequenceId);
            setAside.push(...queue._queuedDecodes.splice(0));
          }
          resolve();
        }),
      );
      return result instanceof Promise ? Promise.all([result, turn]) : turn;
    };
    Object.defineProperty(sequence, "_takeIntervalCheckpointIfNeededAfterBatch", { value: gathering, configurable: true, writable: true });
  });
  return {
    async withContextLock(work) {
      lockWaiters++;
      try {
        return await work();
      } finally {
        lockWaiters--;
        putBack();
      }
    },
  };
}

/** Makes every push onto node-llama-cpp's decode queue keep it sorted by sequence id (stable: one sequence's decodes keep their order). */
function keepInSequenceOrder(queued: QueuedDecode[]): void {
  Object.defineProperty(queued, "push", {
    value: (...decodes: QueuedDecode[]) => {
      Array.prototype.push.apply(queued, decodes);
      queued.sort((a, b) => a.sequenceId - b.sequenceId);
      return queued.length;
    },
    configurable: true,
    writable: true,
  });
}
