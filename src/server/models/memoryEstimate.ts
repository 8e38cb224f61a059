/**
 * Whether a model would fit in memory, decided before it loads. The rule is deliberately
 * simple, and documented in docs/SERVER.md ("Memory"):
 *
 *   needed = the model's files + the KV cache of contextSize x parallel tokens
 *   KV cache per token = 2 (K and V) x layers x KV width x 2 bytes (f16)
 *   KV width = embedding length x KV heads / attention heads
 *
 * A model that needs more than the machine's whole memory is refused outright; one that
 * needs more than is free now fits only once idle models are unloaded (eviction.ts).
 * Compute buffers and the embedding context are not counted: the estimate is a floor.
 */
import { freemem, totalmem } from "node:os";
import { maxDefaultContextSize } from "../../context/Context.js";
import { readGgufHeader, type GgufHeader } from "../../engine/gguf/ggufHeader.js";
import { getMetadataNumber } from "../../engine/gguf/ggufMetadata.js";

/** What the machine has, in bytes (a probe, so tests can give a small machine). */
export interface MemoryProbe {
  freeBytes(): number;
  totalBytes(): number;
}

export const systemMemory: MemoryProbe = { freeBytes: freemem, totalBytes: totalmem };

/** Bytes of the KV cache one token takes, from the header (0 when the header does not say). */
export function kvBytesPerToken(header: GgufHeader): number {
  const prefix = header.architecture;
  const layers = getMetadataNumber(header, `${prefix}.block_count`) ?? 0;
  const width = getMetadataNumber(header, `${prefix}.embedding_length`) ?? 0;
  const heads = getMetadataNumber(header, `${prefix}.attention.head_count`) ?? 0;
  const kvHeads = getMetadataNumber(header, `${prefix}.attention.head_count_kv`) ?? heads;
  const kvWidth = heads > 0 ? (width * kvHeads) / heads : width;
  return 2 * layers * kvWidth * 2;
}

/**
 * Bytes a model needs loaded with `parallel` sequences of `contextSize` tokens (the
 * server's settings; the context size defaults as the context's does); `fileBytes` counts
 * every part of a split model (defaults to this file's size). Reads the file's
 * header, so a missing or damaged file fails here, before anything loads.
 */
export async function estimateModelBytes(path: string, fileBytes: number | undefined, settings: { contextSize: number | undefined; parallel: number }): Promise<number> {
  const header = await readGgufHeader(path);
  const trained = getMetadataNumber(header, `${header.architecture}.context_length`);
  const contextSize = settings.contextSize ?? Math.min(trained || maxDefaultContextSize, maxDefaultContextSize);
  return (fileBytes ?? header.fileSize) + kvBytesPerToken(header) * contextSize * settings.parallel;
}

/** "1.5 GiB" or "12.0 MiB", for error messages (binary units, as memory is counted). */
export function formatBytes(bytes: number): string {
  const gibibytes = bytes / 2 ** 30;
  return gibibytes >= 1 ? `${gibibytes.toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
