/**
 * One file, downloaded into its partial file: resumed with `Range` when earlier bytes of
 * the same file are there, checked against the size and SHA-256 the server announced,
 * retried (resuming) after a dropped connection. On success the part file holds exactly
 * the announced bytes; nothing is moved into the store here (see commitModel.ts).
 */
import { createHash } from "node:crypto";
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { AbortedError, PullError, errorMessage } from "../errors.js";
import { describeFetchError, httpGet, HttpRequestError, sizeFromHeader, type HttpGetResult } from "./httpClient.js";
import { failureOfStatus, isRetryableStatus } from "./httpFailure.js";
import type { OpenPartWriter, PartialFile, PartialIdentity } from "./partialFile.js";
import type { PlannedFile } from "./pullPlan.js";

export interface DownloadSettings {
  /** The reference being pulled, for error messages. */
  readonly reference: string;
  readonly signal: AbortSignal;
  readonly credentials: { origin: string; authorization: string } | undefined;
  readonly trustedOrigin: string | undefined;
  /** Further tries after a dropped connection or a server fault; an attempt that received bytes restores the count. */
  readonly retries: number;
  /** Wait before the first retry, in milliseconds; doubles after each. */
  readonly retryDelayMs: number;
  /** A connection that delivers nothing for this long is dropped (and the download resumed), in milliseconds. */
  readonly idleTimeoutMs: number;
  readonly openWriter: OpenPartWriter;
  /** `resume` once when earlier bytes are reused; `bytes` after every chunk written. */
  readonly onEvent: (event: { type: "resume"; fromBytes: number } | { type: "bytes"; completedBytes: number; totalBytes: number | undefined }) => void;
}

export interface DownloadedFile {
  readonly name: string;
  /** The complete part file. */
  readonly partPath: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly url: string;
}

export async function downloadFile(file: PlannedFile, partial: PartialFile, settings: DownloadSettings): Promise<DownloadedFile> {
  let retriesLeft = settings.retries;
  for (let attempt = 0; ; attempt++) {
    const progress = { received: 0 };
    try {
      return await downloadOnce(file, partial, settings, progress);
    } catch (error) {
      if (settings.signal.aborted) throw new AbortedError("The pull", { cause: settings.signal.reason });
      if (!isRetryable(error)) throw error;
      if (progress.received > 0) retriesLeft = settings.retries;
      if (retriesLeft-- <= 0) throw error;
      await delay(settings.retryDelayMs * 2 ** Math.min(attempt, 6), undefined, { signal: settings.signal }).catch(() => undefined);
    }
  }
}

function isRetryable(error: unknown): boolean {
  if (!(error instanceof PullError)) return false;
  return error.failure === "network" || (error.failure === "server" && error.httpStatus !== undefined && isRetryableStatus(error.httpStatus));
}

async function downloadOnce(file: PlannedFile, partial: PartialFile, settings: DownloadSettings, progress: { received: number }): Promise<DownloadedFile> {
  const fail: Fail = (failure, reason, options) => new PullError(settings.reference, failure, `${file.name}: ${reason}`, options);
  const previous = await partial.existing();
  const offset = previous !== undefined && previous.identity.url === file.url.href ? previous.bytes : 0;

  const idle = new IdleTimer(settings.idleTimeoutMs);
  const signal = AbortSignal.any([settings.signal, idle.signal]);
  try {
    let result: HttpGetResult;
    try {
      result = await httpGet(file.url, { signal, credentials: settings.credentials, trustedOrigin: settings.trustedOrigin, headers: offset > 0 ? { Range: `bytes=${offset}-` } : {} });
    } catch (error) {
      if (settings.signal.aborted) throw error;
      if (idle.fired) throw fail("network", `no answer for ${settings.idleTimeoutMs / 1000} s`, { cause: error });
      if (error instanceof HttpRequestError) throw fail(error.retryable ? "network" : "server", error.message, { cause: error });
      throw fail("network", describeFetchError(error), { cause: error });
    }
    const { response } = result;
    const announced = announcedIdentity(file, result, fail);

    // Earlier bytes of another version of the file (it changed on the server): start over.
    if (offset > 0 && !sameFile(previous!.identity, announced)) {
      await response.body?.cancel().catch(() => undefined);
      await partial.discard();
      return await downloadOnce(file, partial, settings, progress);
    }
    if (response.status === 416 && offset > 0) {
      await response.body?.cancel().catch(() => undefined);
      // Everything had arrived before (a crash before the file was committed): just verify it.
      if (previous!.identity.size === offset) return await verify(file, partial, await partial.hashSoFar(), offset, announced, fail);
      await partial.discard();
      return await downloadOnce(file, partial, settings, progress);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw fail(failureOfStatus(response.status), describeStatus(response.status, settings), { httpStatus: response.status });
    }

    const range = response.status === 206 ? parseContentRange(response.headers.get("content-range")) : undefined;
    if (response.status === 206 && range?.start !== offset) {
      await response.body?.cancel().catch(() => undefined);
      // Not the range asked for: start over without one.
      await partial.discard();
      return await downloadOnce(file, partial, settings, progress);
    }
    // A 200 to a Range request: the server ignored it and sends everything.
    const start = range === undefined ? 0 : offset;
    const contentSize = range === undefined ? sizeFromHeader(response.headers.get("content-length")) : range.total;
    if (announced.size !== undefined && contentSize !== undefined && contentSize !== announced.size) {
      await response.body?.cancel().catch(() => undefined);
      await partial.discard();
      throw fail("corrupt", `the server announced ${announced.size} bytes but sends ${contentSize}`);
    }
    const size = announced.size ?? contentSize;
    if (size !== undefined) await ensureSpace(dirname(partial.path), size - start, fail);
    if (start === 0) await partial.begin({ ...announced, size });
    else settings.onEvent({ type: "resume", fromBytes: start });

    const hash = start > 0 ? await partial.hashSoFar() : createHash("sha256");
    let received = start;
    const writer = await settings.openWriter(partial.path);
    try {
      idle.restart();
      for await (const chunk of response.body ?? []) {
        idle.restart();
        const bytes = chunk as Uint8Array;
        if (size !== undefined && received + bytes.length > size) {
          await response.body?.cancel().catch(() => undefined);
          await partial.discard();
          throw fail("corrupt", `the server sent more than the ${size} bytes it announced`);
        }
        try {
          await writer.write(bytes);
        } catch (error) {
          throw writeFailure(error, received, size, fail);
        }
        hash.update(bytes);
        received += bytes.length;
        progress.received += bytes.length;
        settings.onEvent({ type: "bytes", completedBytes: received, totalBytes: size });
      }
    } catch (error) {
      if (error instanceof PullError || settings.signal.aborted) throw error;
      const why = idle.fired ? `no data for ${settings.idleTimeoutMs / 1000} s` : `the connection was lost (${describeFetchError(error)})`;
      throw fail("network", `${why} after ${received} of ${size ?? "?"} bytes`, { cause: error, resumable: true });
    } finally {
      await writer.close().catch(() => undefined);
    }
    if (size !== undefined && received < size) throw fail("network", `the connection closed after ${received} of ${size} bytes`, { resumable: true });
    return await verify(file, partial, hash, received, announced, fail);
  } finally {
    idle.stop();
  }
}

type Fail = (failure: PullError["failure"], reason: string, options?: { cause?: unknown; httpStatus?: number; resumable?: boolean }) => PullError;

/** Size, SHA-256 and ETag as the file list and this response's hops announce them; a disagreement means a server is lying. */
function announcedIdentity(file: PlannedFile, result: HttpGetResult, fail: Fail): PartialIdentity {
  if (file.expectedSha256 !== undefined && result.linkedSha256 !== undefined && file.expectedSha256 !== result.linkedSha256) {
    throw fail("corrupt", `the file list says SHA-256 ${file.expectedSha256} but the download announces ${result.linkedSha256}`);
  }
  if (file.expectedSize !== undefined && result.linkedSize !== undefined && file.expectedSize !== result.linkedSize) {
    throw fail("corrupt", `the file list says ${file.expectedSize} bytes but the download announces ${result.linkedSize}`);
  }
  return {
    url: file.url.href,
    size: result.linkedSize ?? file.expectedSize,
    sha256: result.linkedSha256 ?? file.expectedSha256,
    etag: result.response.headers.get("etag") ?? undefined,
  };
}

/** Whether earlier bytes belong to the file now announced: same hash when both have one, else same size and ETag where known. */
function sameFile(before: PartialIdentity, now: PartialIdentity): boolean {
  if (before.sha256 !== undefined && now.sha256 !== undefined) return before.sha256 === now.sha256;
  if (before.size !== undefined && now.size !== undefined && before.size !== now.size) return false;
  if (before.etag !== undefined && now.etag !== undefined) return before.etag === now.etag;
  return true;
}

async function verify(file: PlannedFile, partial: PartialFile, hash: ReturnType<typeof createHash>, size: number, announced: PartialIdentity, fail: Fail): Promise<DownloadedFile> {
  const sha256 = hash.digest("hex");
  if (announced.sha256 !== undefined && sha256 !== announced.sha256) {
    await partial.discard();
    throw fail("corrupt", `the SHA-256 of what arrived (${sha256}) is not the one the server announced (${announced.sha256}); nothing was kept`);
  }
  return { name: file.name, partPath: partial.path, sizeBytes: size, sha256, url: file.url.href };
}

function parseContentRange(header: string | null): { start: number; total: number | undefined } | undefined {
  const match = header === null ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (match === null) return undefined;
  return { start: Number(match[1]), total: match[3] === "*" ? undefined : Number(match[3]) };
}

function describeStatus(status: number, settings: DownloadSettings): string {
  if (status === 404) return "not found (HTTP 404)";
  if (status === 401 || status === 403) {
    return settings.credentials === undefined ? `access refused (HTTP ${status}): the file is private or gated; set HF_TOKEN to a token that can read it` : `access refused (HTTP ${status}) with the token in HF_TOKEN`;
  }
  return `the server answered HTTP ${status}`;
}

async function ensureSpace(directory: string, needed: number, fail: Fail): Promise<void> {
  // The model's partial directory appears with its first file; its parent (the lock's) exists.
  const stats = await statfs(directory).catch(() => statfs(dirname(directory))).catch(() => undefined);
  if (stats === undefined) return;
  const available = stats.bavail * stats.bsize;
  if (available < needed) throw fail("disk-full", `the disk has ${available} bytes free, the download needs ${needed} more; free some space and pull again`, { resumable: true });
}

function writeFailure(error: unknown, received: number, size: number | undefined, fail: Fail): PullError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return fail("disk-full", `the disk filled up after ${received} of ${size ?? "?"} bytes; free some space and pull again to resume`, { cause: error, resumable: true });
  }
  return fail("storage", `cannot write the download (${code ?? errorMessage(error)})`, { cause: error, resumable: true });
}

/** Aborts its signal when restart() is not called for `milliseconds`. */
class IdleTimer {
  readonly #controller = new AbortController();
  readonly #milliseconds: number;
  #timer: NodeJS.Timeout | undefined;
  fired = false;

  constructor(milliseconds: number) {
    this.#milliseconds = milliseconds;
    this.restart();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  restart(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#controller.abort();
    }, this.#milliseconds);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
