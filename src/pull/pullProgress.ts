/**
 * What a pull reports while it runs, one event at a time. The CLI draws its progress bar
 * and writes its JSON lines from these; the server can map them to Ollama's `/api/pull`
 * stream (`pulling manifest`, `pulling <digest>`, `verifying sha256 digest`, `success`).
 */
import type { StoredModel } from "../store/storedModel.js";

export type PullProgress =
  /** Looking the reference up (the repository's file list, for a quantization). */
  | { readonly status: "resolving"; readonly reference: string }
  /** The files are known. `note` says which quantization was taken when the reference named none. */
  | { readonly status: "resolved"; readonly name: string; readonly files: readonly string[]; readonly note: string | undefined }
  /** Another pull of the same model (in this or another process) is running; this one waits for it. */
  | { readonly status: "waiting"; readonly name: string; readonly ownerPid: number | undefined }
  /** Bytes of a file received earlier are reused: the download continues from `fromBytes`. */
  | { readonly status: "resuming"; readonly name: string; readonly file: string; readonly fromBytes: number }
  | {
      readonly status: "downloading";
      readonly name: string;
      readonly file: string;
      /** The file's SHA-256 (hex) when the repository's file list gave it, else undefined until it is downloaded. */
      readonly sha256?: string;
      /** Bytes of this file on disk so far (resumed bytes included). */
      readonly completedBytes: number;
      /** The file's size, when the server announced it. */
      readonly totalBytes: number | undefined;
      /** Over the last few seconds. */
      readonly bytesPerSecond: number;
      /** At the current speed; undefined while unknown. */
      readonly secondsLeft: number | undefined;
    }
  /** Checking the files: SHA-256 and size (done while downloading), then the GGUF header. */
  | { readonly status: "verifying"; readonly name: string }
  /** Loading the model once in a test process (see `probe`), so a file that would crash the engine is never kept. */
  | { readonly status: "probing"; readonly name: string }
  /** The store already has this model, identical to the server's. */
  | { readonly status: "up-to-date"; readonly name: string }
  | { readonly status: "success"; readonly name: string; readonly model: StoredModel };
