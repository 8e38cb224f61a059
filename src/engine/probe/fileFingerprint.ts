/**
 * A model file's identity for the probe cache, cheap enough to compute on every load.
 *
 * Hashing a whole model is too slow for that: SHA-256 ran at 0.7-1.0 GB/s here from the
 * page cache, so 4-6 s for a 4 GB model and a minute for a 40 GB one, every time, before
 * the load even starts (and more from a cold disk). The fingerprint instead hashes the
 * file's size, its modification time (to the nanosecond) and its first 16 MiB and last
 * 1 MiB: the header, where a file tells the engine what to trust, lies at the front (a
 * 250k-token vocabulary is a few megabytes), and files of up to 17 MiB are hashed whole.
 * A file rewritten in place keeps neither its mtime nor (usually) its head and tail. A file
 * small enough to hash whole is known by its content alone.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

const headBytes = 16 * 1024 * 1024;
const tailBytes = 1024 * 1024;

/** Bumped when the recipe changes, so old cache entries stop matching. */
const recipe = "mullama-fingerprint-v2";

/** A hex SHA-256 of the file's size, mtime, head and tail (size and content for small files). */
export async function fileFingerprint(path: string): Promise<string> {
  const file = await open(path, "r");
  try {
    const stats = await file.stat({ bigint: true });
    const size = Number(stats.size);
    const whole = size <= headBytes + tailBytes;
    // A file hashed whole is known by its content alone: a copy (a pull into the store,
    // a backup) keeps its verdict. Only a partly hashed file needs its mtime as well.
    const hash = createHash("sha256").update(whole ? `${recipe}\n${stats.size}\n` : `${recipe}\n${stats.size}\n${stats.mtimeNs}\n`);
    hash.update(await readRange(file, 0, whole ? size : headBytes));
    if (!whole) hash.update(await readRange(file, size - tailBytes, tailBytes));
    return hash.digest("hex");
  } finally {
    await file.close();
  }
}

async function readRange(file: Awaited<ReturnType<typeof open>>, start: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, start + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
