/**
 * What a transport is made of, for the stream driver (driveStream.ts): a stream of parts
 * to read, a wire format that turns each part into a chunk (pure, one per protocol), and a
 * sink that takes the chunks (an HTTP response, a WebSocket, a MessagePort). A new kind
 * of part needs a case in the formats that render it, and nothing else here.
 */
import type { GenerationResult } from "../generation/events.js";
import type { ContentPart, ErrorPart, FinishPart } from "../generation/parts.js";

/** Content parts, then one final part: a finish with the result, or an error. */
export type PartOf<Content, Result> = Content | FinishPart<Result> | ErrorPart;

/** What the driver reads: parts ending with one final part, and a way to stop them early. A TokenStream is one. */
export interface PartStream<Content = ContentPart, Result = GenerationResult> {
  parts(): AsyncIterable<PartOf<Content, Result>>;
  close(): Promise<void>;
}

/** One protocol's wire format: each part as a chunk (undefined writes nothing, as for a kind the protocol does not carry). */
export interface WireFormat<Chunk, Content = ContentPart, Result = GenerationResult> {
  format(part: PartOf<Content, Result>): Chunk | undefined;
  /** Written as soon as the stream is accepted, before the first part (OpenAI's role chunk). */
  opening?: Chunk;
  /** Written after a quiet spell; formats without comments (NDJSON) have none. */
  keepAlive?: Chunk;
}

/** Where chunks go: an HTTP response, a WebSocket, a MessagePort. */
export interface StreamSink<Chunk> {
  /**
   * Writes a chunk. Returns a promise while the sink is full, which the driver waits for
   * before it pulls the next part; undefined when more can be written now. A sink whose
   * peer has left drops the chunk.
   */
  write(chunk: Chunk): Promise<void> | undefined;
  /** Resolves once the first chunk may be written (a worker bridge waits for its receiver); the stream does not start before. */
  ready?(): Promise<void>;
  /** Calls `listener` once if the peer goes away or cancels before the sink ends. */
  onGone?(listener: (reason: unknown) => void): void;
  /** Ends the sink after the last chunk. */
  end(): void;
}
