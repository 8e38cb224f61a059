/**
 * When node-llama-cpp dispatches a queued decode.
 *
 * Its default waits for the next turn of the event loop (`setImmediate`), so that every
 * sequence queued in the same turn shares the decode; a context of one sequence skips the
 * wait. On a context of several sequences with one generating, that turn put everything
 * else the turn had in front of the decode instead of beside it: the consumer's
 * formatting and socket writes, and I/O callbacks such as an in-process client reading
 * the last token. Measured on the demo model, one SSE stream against in-process
 * `context.stream` on the same 8-sequence context, interleaved in one process: 0.78-0.84
 * with the default, 0.94-0.96 with the decode dispatched at the end of the current
 * microtasks.
 */

/** How many sequences are generating; filled in once the context's sequence pool exists. */
export interface GeneratingCount {
  generating: () => number;
}

/**
 * node-llama-cpp's `batching.dispatchSchedule` for a context: while at most one sequence
 * is generating, a queued decode is dispatched at the end of the current microtasks; with
 * more, on the next turn (the default), so that those queued in the same turn share it.
 */
export function dispatchSchedule(count: GeneratingCount): (dispatch: () => void) => void {
  return (dispatch) => {
    if (count.generating() < 2) queueMicrotask(dispatch);
    else setImmediate(dispatch);
  };
}
