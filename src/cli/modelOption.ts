/**
 * The `-m, --model` option of run, serve and embed: a GGUF path, a store name or a
 * reference. With `--pull` a reference not in the store is pulled first (progress on
 * the terminal); without it, the error says how to pull it. With `--probe` the file is
 * loaded once in a child process first (Model.load's `probe`).
 */
import { defaultModelPath } from "../model/defaultModel.js";
import { resolveModelSource } from "../model/modelSource.js";
import { pullReporter, pullReportMode } from "./pullReporter.js";

/** The parseArgs definitions of `-m`, `--pull` and `--probe`, for a command's options. */
export const modelOptions = {
  model: { type: "string", short: "m" },
  pull: { type: "boolean" },
  probe: { type: "boolean" },
} as const;

/** The help lines of `-m`, `--pull` and `--probe`, descriptions starting at `column` (the command's own layout). */
export function modelOptionHelp(column: number): string {
  const line = (flag: string, text: string) => `${flag.padEnd(column)}${text}`;
  return [
    line("  -m, --model <model>", "a GGUF file, a store name (\"mullama list\") or a reference"),
    line("", "such as hf:<user>/<repo>:<quant> (default: the bundled demo model)"),
    line("      --pull", "pull the model first when it is a reference not in the store"),
    line("      --probe", "load the file in a child process first and refuse it if that"),
    line("", "crashes (for files from outside; verdicts are cached)"),
  ].join("\n");
}

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
