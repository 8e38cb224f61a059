/**
 * How one stress client's request ended, and the bookkeeping every client kind shares:
 * the time to its first piece of text, the hang-up it was told to make (after so many
 * pieces, or so many milliseconds), and the time limit past which it counts as a hang.
 */
export type Outcome =
  /** `bytesAfterSilence`: for a silent reader, the bytes of its answer, all read once its silence ended. */
  | { kind: "completed"; text: string; firstPieceMs: number | undefined; bytesAfterSilence?: number }
  /** A 503: clean when it came in the protocol's shape with a valid Retry-After (none exists on a WebSocket). */
  | { kind: "busy"; retryAfterSeconds: number | undefined; clean: boolean; detail: string }
  /** `clientStuck`: the client's own request never settled after it aborted it (Node's fetch can leave a body's reader pending when the abort lands as the body ends). */
  | { kind: "hung-up"; pieces: number; headers: boolean; clientStuck?: boolean }
  /** A 5xx, an in-stream error, a truncated stream, an answer outside the protocol. */
  | { kind: "failed"; detail: string }
  | { kind: "timed-out"; detail: string };

export interface HangUp {
  /** Hang up once this many pieces of text have arrived. */
  afterPieces?: number;
  /** Hang up this long after sending the request, in milliseconds. */
  afterMs?: number;
  /** How a WebSocket goes: a close frame, or the socket cut. HTTP clients always abort their fetch. */
  how?: "close" | "terminate";
}

/** How long a client may take to settle after it aborted its request, in milliseconds. */
const abortGraceMs = 10_000;

export class ClientRun {
  readonly #controller = new AbortController();
  readonly #startedAt = performance.now();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #hangUp: HangUp | undefined;
  #firstPieceMs: number | undefined;
  pieces = 0;
  /** Whether the response headers (or the WebSocket handshake) came back. */
  headers = false;
  #hungUp = false;
  #timedOut = false;
  #expire!: (outcome: Outcome) => void;

  /**
   * Resolves to a hang a while after the time limit, if the client has not settled by then:
   * a client library that never settles once aborted cannot stall the run.
   */
  readonly expired: Promise<Outcome>;

  constructor(hangUp: HangUp | undefined, timeoutMs: number) {
    this.#hangUp = hangUp;
    this.#timers.push(setTimeout(() => this.#stop("timeout"), timeoutMs));
    this.expired = new Promise((resolve) => (this.#expire = resolve));
    if (hangUp?.afterMs !== undefined) this.#timers.push(setTimeout(() => this.#stop("hang-up"), hangUp.afterMs));
    if (hangUp?.afterPieces === 0) this.#stop("hang-up");
  }

  /** Aborted on the planned hang-up or at the time limit; clients pass it to their requests. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get hangUpHow(): "close" | "terminate" {
    return this.#hangUp?.how ?? "terminate";
  }

  /** Counts a piece of text; the hang-up after N pieces happens here. */
  piece(text: string | undefined | null): void {
    if (text === undefined || text === null || text === "") return;
    this.pieces++;
    this.#firstPieceMs ??= performance.now() - this.#startedAt;
    if (this.#hangUp?.afterPieces !== undefined && this.pieces >= this.#hangUp.afterPieces) this.#stop("hang-up");
  }

  completed(text: string): Outcome {
    return this.settle({ kind: "completed", text, firstPieceMs: this.#firstPieceMs });
  }

  /** The outcome, unless the client hung up or ran out of time first (then whatever the request did after is moot). */
  settle(outcome: Outcome): Outcome {
    for (const timer of this.#timers) clearTimeout(timer);
    if (this.#timedOut) return { kind: "timed-out", detail: `no answer within the time limit (${this.pieces} pieces received)` };
    if (this.#hungUp) return { kind: "hung-up", pieces: this.pieces, headers: this.headers };
    return outcome;
  }

  /** For a request that threw: moot after a hang-up or the time limit, else a failure. */
  failed(error: unknown): Outcome {
    return this.settle({ kind: "failed", detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }

  #stop(why: "hang-up" | "timeout"): void {
    if (this.#hungUp || this.#timedOut) return;
    if (why === "hang-up") this.#hungUp = true;
    else this.#timedOut = true;
    this.#controller.abort(new Error(why));
    // After a planned hang-up the server has nothing left to do for this client: a client
    // that never settles then is stuck in its own library. After the time limit, it is a hang.
    const expired: Outcome =
      why === "hang-up"
        ? { kind: "hung-up", pieces: this.pieces, headers: this.headers, clientStuck: true }
        : { kind: "timed-out", detail: `no answer within the time limit, and the client did not settle within ${abortGraceMs} ms of its abort (${this.pieces} pieces received)` };
    this.#timers.push(setTimeout(() => this.#expire(expired), abortGraceMs));
  }
}
