/**
 * A download in progress: `<name>.part` holds the bytes received so far and
 * `<name>.part.json` (the sidecar) says what they are the start of (the URL, and the
 * size, SHA-256 and ETag announced when the download began). Bytes whose sidecar is
 * missing or says something else are never resumed: they could be the start of a
 * different file.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** What a partial download is the start of. */
export interface PartialIdentity {
  readonly url: string;
  readonly size: number | undefined;
  readonly sha256: string | undefined;
  readonly etag: string | undefined;
}

/** Where received bytes go. The default appends to the part file; tests give one that fails. */
export interface PartWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export type OpenPartWriter = (path: string) => Promise<PartWriter>;

const identitySchema = z.object({
  url: z.string(),
  size: z.number().int().min(0).optional(),
  sha256: z.string().optional(),
  etag: z.string().optional(),
});

export class PartialFile {
  readonly path: string;
  readonly #sidecarPath: string;

  constructor(directory: string, name: string) {
    this.path = join(directory, `${name}.part`);
    this.#sidecarPath = `${this.path}.json`;
  }

  /** The identity and length of what was received before, or undefined when there is nothing to resume. */
  async existing(): Promise<{ identity: PartialIdentity; bytes: number } | undefined> {
    let identity: PartialIdentity;
    try {
      const parsed = identitySchema.safeParse(JSON.parse(await readFile(this.#sidecarPath, "utf8")));
      if (!parsed.success) return undefined;
      identity = { url: parsed.data.url, size: parsed.data.size, sha256: parsed.data.sha256, etag: parsed.data.etag };
    } catch {
      return undefined;
    }
    try {
      return { identity, bytes: (await stat(this.path)).size };
    } catch {
      return undefined;
    }
  }

  /** Starts over: an empty part file described by `identity`. The sidecar is written first, and atomically. */
  async begin(identity: PartialIdentity): Promise<void> {
    await mkdir(join(this.path, ".."), { recursive: true });
    const temporary = `${this.#sidecarPath}.tmp`;
    await writeFile(temporary, JSON.stringify(identity));
    await rename(temporary, this.#sidecarPath);
    await writeFile(this.path, new Uint8Array(0));
  }

  /** A SHA-256 already fed with the bytes on disk, to go on with the rest. */
  async hashSoFar(): Promise<Hash> {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(this.path)) hash.update(chunk as Buffer);
    return hash;
  }

  /** Deletes the part file and its sidecar. */
  async discard(): Promise<void> {
    await rm(this.path, { force: true });
    await rm(this.#sidecarPath, { force: true });
  }
}

/** Appends to the file at `path`. */
export async function openAppendWriter(path: string): Promise<PartWriter> {
  const handle = await open(path, "a");
  return {
    async write(chunk) {
      let written = 0;
      while (written < chunk.length) written += (await handle.write(chunk, written)).bytesWritten;
    },
    close: () => handle.close(),
  };
}
