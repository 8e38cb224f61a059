/**
 * Sequential little-endian reads from a file handle, in bounded chunks.
 *
 * Model files are many gigabytes and the header is at the front, so the file is never
 * read whole: a window of at most {@link chunkSize} bytes (or one long string) is held at
 * a time. Every read is checked against the bytes left in the file first, and a read
 * past the end is reported as truncation, which is what it means for a header.
 */
import type { FileHandle } from "node:fs/promises";
import { ModelLoadError } from "../../errors.js";

/** Bytes fetched from the file per refill of the window. */
const chunkSize = 1024 * 1024;

export class GgufByteReader {
  readonly #file: FileHandle;
  readonly #path: string;
  /** Size of the file in bytes, taken once before reading. */
  readonly fileSize: number;
  #window: Buffer = Buffer.alloc(0);
  /** File offset of `#window[0]`. */
  #windowStart = 0;
  #position = 0;

  constructor(file: FileHandle, fileSize: number, path: string) {
    this.#file = file;
    this.fileSize = fileSize;
    this.#path = path;
  }

  /** File offset of the next byte to read. */
  get position(): number {
    return this.#position;
  }

  /** Bytes between the current position and the end of the file. */
  get remaining(): number {
    return this.fileSize - this.#position;
  }

  /** Throws the ModelLoadError for this file with `reason`. */
  fail(reason: string): never {
    throw new ModelLoadError(this.#path, reason);
  }

  /** Throws "truncated" when fewer than `byteCount` bytes are left; `what` names the field. */
  requireRemaining(byteCount: number, what: string): void {
    if (byteCount > this.remaining) this.fail(`truncated: the file ends inside ${what}`);
  }

  async uint8(what: string): Promise<number> {
    const at = await this.#take(1, what);
    return this.#window.readUInt8(at);
  }

  async uint32(what: string): Promise<number> {
    const at = await this.#take(4, what);
    return this.#window.readUInt32LE(at);
  }

  async uint64(what: string): Promise<bigint> {
    const at = await this.#take(8, what);
    return this.#window.readBigUInt64LE(at);
  }

  /** `byteCount` raw bytes; the returned buffer is only valid until the next read. */
  async bytes(byteCount: number, what: string): Promise<Buffer> {
    const at = await this.#take(byteCount, what);
    return this.#window.subarray(at, at + byteCount);
  }

  /** Moves past `byteCount` bytes without reading them. */
  skip(byteCount: number, what: string): void {
    this.requireRemaining(byteCount, what);
    this.#position += byteCount;
  }

  /** Advances the position over `byteCount` bytes and returns their offset in the window. */
  async #take(byteCount: number, what: string): Promise<number> {
    this.requireRemaining(byteCount, what);
    let at = this.#position - this.#windowStart;
    if (at < 0 || at + byteCount > this.#window.length) {
      await this.#refill(byteCount, what);
      at = 0;
    }
    this.#position += byteCount;
    return at;
  }

  async #refill(byteCount: number, what: string): Promise<void> {
    const length = Math.min(Math.max(byteCount, chunkSize), this.remaining);
    const window = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.#file.read(window, filled, length - filled, this.#position + filled);
      // The file shrank after it was measured: what was promised is not there.
      if (bytesRead === 0) this.fail(`truncated: the file ends inside ${what}`);
      filled += bytesRead;
    }
    this.#window = window;
    this.#windowStart = this.#position;
  }
}
