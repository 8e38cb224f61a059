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
    await this.ensure(1, what);
    return this.takeUint8();
  }

  async uint32(what: string): Promise<number> {
    await this.ensure(4, what);
    return this.takeUint32();
  }

  async uint64(what: string): Promise<bigint> {
    await this.ensure(8, what);
    return this.takeUint64();
  }

  /** `byteCount` raw bytes; the returned buffer is only valid until the next read. */
  async bytes(byteCount: number, what: string): Promise<Buffer> {
    await this.ensure(byteCount, what);
    return this.takeBytes(byteCount);
  }

  /** Moves past `byteCount` bytes without reading them. */
  skip(byteCount: number, what: string): void {
    this.requireRemaining(byteCount, what);
    this.#position += byteCount;
  }

  /**
   * Makes the next `byteCount` bytes available to the synchronous `take` readers.
   * Returns undefined when they already are, so hot loops (a vocabulary of 250k strings)
   * can skip the await: `const refill = reader.ensure(8, what); if (refill) await refill;`.
   */
  ensure(byteCount: number, what: string): Promise<void> | undefined {
    this.requireRemaining(byteCount, what);
    const at = this.#position - this.#windowStart;
    if (at >= 0 && at + byteCount <= this.#window.length) return undefined;
    return this.#refill(byteCount, what);
  }

  /** The synchronous readers: call only after `ensure` for at least as many bytes. */
  takeUint8(): number {
    return this.#window.readUInt8(this.#advance(1));
  }

  takeUint32(): number {
    return this.#window.readUInt32LE(this.#advance(4));
  }

  takeUint64(): bigint {
    return this.#window.readBigUInt64LE(this.#advance(8));
  }

  takeBytes(byteCount: number): Buffer {
    const at = this.#advance(byteCount);
    return this.#window.subarray(at, at + byteCount);
  }

  /** Moves the position on and returns where the bytes start in the window. */
  #advance(byteCount: number): number {
    const at = this.#position - this.#windowStart;
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
