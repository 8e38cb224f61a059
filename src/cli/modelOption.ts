/**
 * The `-m, --model` option of the commands that load a model: a GGUF path, a store name
 * or a reference. With `--pull` a reference not in the store is pulled first (progress on
 * the terminal); without it, the error says how to pull it. With `--probe` the file is
 * loaded once in a child process first (Model.load's `probe`). Loading shows a progress
 * bar on a terminal, and nothing when stderr is piped.
 */
import { basename } from "node:path";
import { Model } from "../model/Model.js";
import { defaultModelPath } from "../model/defaultModel.js";
import { resolveModelSource } from "../model/modelSource.js";
import { pullReporter, pullReportMode } from "./pullReporter.js";
import { progressBar, StatusLine } from "./statusLine.js";

/** The option names of a command that loads a model (see options.ts). */
export const modelOptionNames = ["model", "pull", "probe", "gpu"] as const;

/** The file to load and, for a stored model, its store name. */
export async function resolveModelOption(model: string | undefined, pull: boolean | undefined, signal?: AbortSignal): Promise<{ path: string; name: string | undefined }> {
  if (model === undefined) return { path: defaultModelPath, name: undefined };
  const reporter = pullReporter(pullReportMode({}));
  try {
    const { path, stored } = await resolveModelSource(model, { pull: pull ?? false, onPullProgress: reporter.onProgress, signal });
    return { path, name: stored?.name };
  } finally {
    reporter.finish();
  }
}

/**
 * A model loaded from the flags; `name` is its store name, else its path, and
 * `displayName` its store name, else its file name without `.gguf`.
 */
export async function loadModelOption(values: { model?: string | undefined; pull?: boolean | undefined; probe?: boolean | undefined; gpu?: boolean | undefined }): Promise<{ model: Model; name: string; displayName: string }> {
  const { path, name } = await resolveModelOption(values.model, values.pull);
  const displayName = name ?? basename(path, ".gguf");
  const status = new StatusLine();
  let shownPercent = -1;
  let loaded = false;
  try {
    const model = await Model.load(path, {
      gpu: values.gpu ? "auto" : false,
      probe: values.probe ?? false,
      onLoadProgress: (fraction) => {
        const percent = Math.floor(fraction * 100);
        // The engine may report the end after the load has resolved: the bar is gone by then.
        if (percent === shownPercent || loaded) return;
        shownPercent = percent;
        status.draw(`loading ${displayName}  ${progressBar(fraction, 30)}`);
      },
    });
    return { model, name: name ?? path, displayName };
  } finally {
    // The bar goes once the model is in: what the command prints next takes its place.
    loaded = true;
    status.clear();
  }
}

/**
 * The context size to use for `-c`: as given, but no more than the model was trained on.
 * Past that, a model's output degrades into noise and its cache still takes the memory,
 * so a larger request is capped (as Ollama does) with a warning rather than refused: the
 * person gets the largest context that works.
 */
export function cappedContextSize(requested: number | undefined, trainContextSize: number | undefined, warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): number | undefined {
  if (requested === undefined || trainContextSize === undefined || trainContextSize <= 0 || requested <= trainContextSize) return requested;
  warn(`mullama: --context-size ${requested} is more than the model was trained on; using its ${trainContextSize} tokens`);
  return trainContextSize;
}
