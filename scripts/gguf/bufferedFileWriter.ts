/**
 * Appends bytes to a file through a file handle, gathering small pieces into large
 * writes: a quantized tensor arrives as many small buffers, and one system call per
 * buffer would dominate the time to write a multi-gigabyte model.
 */
import type { FileHandle } from "node:fs/promises";

/** Pending bytes are written once they reach this size. */
const flushThreshold = 4 * 1024 * 1024;

export class BufferedFileWriter {
  readonly #file: FileHandle;
  #pending: Buffer[] = [];
  #pendingLength = 0;
  /** Bytes appended so far, written or not. */
  position = 0;

  constructor(file: FileHandle) {
    this.#file = file;
  }

  async write(bytes: Buffer): Promise<void> {
    this.#pending.push(bytes);
    this.#pendingLength += bytes.length;
    this.position += bytes.length;
    if (this.#pendingLength >= flushThreshold) await this.flush();
  }

  /** Appends zero bytes up to `offset` (used for alignment padding). */
  async padTo(offset: number): Promise<void> {
    if (offset < this.position) throw new RangeError(`cannot pad backwards from ${this.position} to ${offset}`);
    if (offset > this.position) await this.write(Buffer.alloc(offset - this.position));
  }

  async flush(): Promise<void> {
    if (this.#pendingLength === 0) return;
    const bytes = Buffer.concat(this.#pending, this.#pendingLength);
    this.#pending = [];
    this.#pendingLength = 0;
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.#file.write(bytes, written, bytes.length - written);
      written += bytesWritten;
    }
  }
}
