/**
 * A pull, start to end: reference -> plan -> lock the model's name -> (up to date? done)
 * -> download every file (resuming) -> verify -> commit into the store. Only one process
 * pulls a given model at a time; a second waits, then finds it there.
 */
import { mkdir } from "node:fs/promises";
import { z } from "zod";
import { AbortedError, MullamaError, PullError, errorMessage } from "../errors.js";
import { modelReference } from "../store/modelReference.js";
import { ModelStore } from "../store/ModelStore.js";
import type { StoredModel } from "../store/storedModel.js";
import { abortSignal, parseArgument } from "../validation.js";
import { checkDownloadedModel, commitModel, probeDownloadedModel, removeCommitLeftovers, type CommittedFile } from "./commitModel.js";
import { downloadFile } from "./downloadFile.js";
import { httpGet } from "./httpClient.js";
import { openAppendWriter, PartialFile, type OpenPartWriter } from "./partialFile.js";
import { planPull, type PullPlan } from "./pullPlan.js";
import type { PullProgress } from "./pullProgress.js";
import { TransferMeter } from "./transferMeter.js";

/** Options of {@link Model.pull}. */
export interface PullOptions {
  /** Called with each step and, while downloading, with the bytes so far (at most every 100 ms per file). */
  onProgress?: (progress: PullProgress) => void;
  /** Cancels the pull: it rejects with AbortedError and keeps what arrived, so pulling again resumes. */
  signal?: AbortSignal;
  /** The store to pull into: a ModelStore or a directory. Defaults to `MULLAMA_MODELS`, else `~/.cache/mullama/models`. */
  store?: ModelStore | string;
  /** Further tries (each resuming) after a dropped connection or a server fault; any progress restores the count. Defaults to 3. */
  retries?: number;
  /**
   * Load the downloaded model once in a child process before keeping it (see
   * `probeModelFile`): a file that would crash the engine is refused and never stored.
   * The verdict is cached, so a later `Model.load(..., { probe: true })` costs nothing
   * more. Defaults to true: pulled files come from outside.
   */
  probe?: boolean;
}

/** Timings and the file writer, which tests shorten or replace. Not public API. */
export interface PullInternals {
  readonly retryDelayMs: number;
  readonly idleTimeoutMs: number;
  readonly progressIntervalMs: number;
  readonly openWriter: OpenPartWriter;
}

export const defaultPullInternals: PullInternals = { retryDelayMs: 500, idleTimeoutMs: 30_000, progressIntervalMs: 100, openWriter: openAppendWriter };

const pullOptionsSchema = z.strictObject({
  onProgress: z.function().optional(),
  signal: abortSignal().optional(),
  store: z.union([z.string().min(1), z.instanceof(ModelStore)]).optional(),
  retries: z.number().int().min(0).max(100).optional(),
  probe: z.boolean().optional(),
});

export async function pullModel(text: string, options: PullOptions = {}, internals: PullInternals = defaultPullInternals): Promise<StoredModel> {
  const parsed = parseArgument(pullOptionsSchema, options, "options");
  const reference = modelReference(text);
  const store = parsed.store instanceof ModelStore ? parsed.store : new ModelStore(parsed.store);
  // One signal for the caller's abort and for an onProgress that throws.
  const controller = new AbortController();
  const signal = parsed.signal === undefined ? controller.signal : AbortSignal.any([parsed.signal, controller.signal]);
  let callbackError: { error: unknown } | undefined;
  const emit = (progress: PullProgress) => {
    try {
      (parsed.onProgress as PullOptions["onProgress"])?.(progress);
    } catch (error) {
      callbackError ??= { error };
      controller.abort(error);
    }
  };
  try {
    emit({ status: "resolving", reference: text });
    const plan = await planPull(reference, text, signal);
    emit({ status: "resolved", name: plan.name, files: plan.files.map((file) => file.name), note: plan.note });
    await mkdir(store.directory, { recursive: true });
    const release = await store.lock(plan.name, { signal, what: `The pull of "${plan.name}"`, onWait: (owner) => emit({ status: "waiting", name: plan.name, ownerPid: owner?.pid }) });
    try {
      return await pullLocked(store, plan, text, signal, { retries: parsed.retries ?? 3, probe: parsed.probe ?? true }, internals, emit);
    } finally {
      await release();
    }
  } catch (error) {
    if (callbackError !== undefined) throw new AbortedError(`The pull (onProgress threw: ${errorMessage(callbackError.error)})`, { cause: callbackError.error });
    if (signal.aborted) throw error instanceof AbortedError ? error : new AbortedError("The pull", { cause: error });
    if (error instanceof MullamaError) throw error;
    throw new PullError(text, "storage", `cannot write to the store ${store.directory} (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`, { cause: error });
  }
}

async function pullLocked(
  store: ModelStore,
  plan: PullPlan,
  text: string,
  signal: AbortSignal,
  { retries, probe }: { retries: number; probe: boolean },
  internals: PullInternals,
  emit: (progress: PullProgress) => void,
): Promise<StoredModel> {
  const partialDirectory = store.partialDirectory(plan.name);
  await removeCommitLeftovers(partialDirectory);
  const existing = await store.find(plan.name);
  if (existing !== undefined && (await isUpToDate(existing, plan, signal))) {
    emit({ status: "up-to-date", name: plan.name });
    emit({ status: "success", name: plan.name, model: existing });
    return existing;
  }

  const downloaded: CommittedFile[] = [];
  for (const file of plan.files) {
    const partial = new PartialFile(partialDirectory, file.name);
    const meter = new TransferMeter();
    let lastReport = -Infinity;
    const result = await downloadFile(file, partial, {
      reference: text,
      signal,
      credentials: plan.credentials,
      trustedOrigin: plan.trustedOrigin,
      retries,
      retryDelayMs: internals.retryDelayMs,
      idleTimeoutMs: internals.idleTimeoutMs,
      openWriter: internals.openWriter,
      onEvent: (event) => {
        if (event.type === "resume") {
          emit({ status: "resuming", name: plan.name, file: file.name, fromBytes: event.fromBytes });
          return;
        }
        meter.record(event.completedBytes);
        const now = performance.now();
        if (now - lastReport < internals.progressIntervalMs && event.completedBytes !== event.totalBytes) return;
        lastReport = now;
        emit({ status: "downloading", name: plan.name, file: file.name, ...(file.expectedSha256 === undefined ? {} : { sha256: file.expectedSha256 }), completedBytes: event.completedBytes, totalBytes: event.totalBytes, bytesPerSecond: meter.bytesPerSecond, secondsLeft: meter.secondsLeft(event.totalBytes) });
      },
    });
    const etag = (await partial.existing())?.identity.etag;
    downloaded.push({ ...result, etag });
  }
  emit({ status: "verifying", name: plan.name });
  const facts = await checkDownloadedModel(text, downloaded, partialDirectory);
  if (probe) {
    emit({ status: "probing", name: plan.name });
    await probeDownloadedModel(text, downloaded[0]!.partPath, partialDirectory);
  }
  const model = await commitModel(store, plan.name, text, downloaded, facts);
  emit({ status: "success", name: plan.name, model });
  return model;
}

/**
 * Whether the stored model is what the server has now: same files, and for each the same
 * SHA-256 (from the file list, or announced on request), else the same size and ETag.
 * Asking costs one request per file whose body is not read.
 */
async function isUpToDate(existing: StoredModel, plan: PullPlan, signal: AbortSignal): Promise<boolean> {
  if (existing.files.length !== plan.files.length) return false;
  for (const [index, file] of plan.files.entries()) {
    const stored = existing.files[index]!;
    if (stored.name !== file.name) return false;
    if (file.expectedSha256 !== undefined) {
      if (file.expectedSha256 !== stored.sha256) return false;
      continue;
    }
    // A failure here is left to the download, which reports it properly.
    const result = await httpGet(file.url, { signal, credentials: plan.credentials, trustedOrigin: plan.trustedOrigin }).catch(() => undefined);
    if (result === undefined) return false;
    const { response, linkedSha256, linkedSize } = result;
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) return false;
    if (linkedSha256 !== undefined) {
      if (linkedSha256 !== stored.sha256) return false;
      continue;
    }
    const size = linkedSize ?? Number(response.headers.get("content-length") ?? Number.NaN);
    const etag = response.headers.get("etag") ?? undefined;
    if (size !== stored.sizeBytes || etag === undefined || etag !== stored.etag) return false;
  }
  return true;
}
