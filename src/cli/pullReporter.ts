/**
 * How a pull shows itself in a terminal: one progress line redrawn in place on stderr
 * (bytes, speed, time left) and a line for each step; JSON lines on stdout with `--json`;
 * nothing when stderr is not a terminal (piped, in CI), so logs stay clean.
 */
import type { PullProgress } from "../pull/pullProgress.js";
import { formatBytes, formatDuration } from "./format.js";
import { progressBar, StatusLine } from "./statusLine.js";

export type PullReportMode = "terminal" | "json" | "quiet";

/** The mode for these flags and this process's streams. */
export function pullReportMode(flags: { json?: boolean | undefined; quiet?: boolean | undefined }): PullReportMode {
  if (flags.json) return "json";
  if (flags.quiet || !process.stderr.isTTY) return "quiet";
  return "terminal";
}

/** An `onProgress` for the mode. Call `finish()` after the pull, so the progress line is ended. */
export function pullReporter(mode: PullReportMode): { onProgress: (progress: PullProgress) => void; finish: () => void } {
  if (mode === "json") return { onProgress: (progress) => process.stdout.write(`${JSON.stringify(progress)}\n`), finish: () => undefined };
  if (mode === "quiet") return { onProgress: () => undefined, finish: () => undefined };
  const status = new StatusLine();
  return {
    onProgress(progress) {
      const text = describeProgress(progress, status.columns);
      if (progress.status === "downloading") status.draw(text!);
      else if (text !== undefined) status.print(text);
    },
    finish: () => status.end(),
  };
}

/** One line for an event: the progress bar for `downloading`, a sentence for the others (none for `success`, which the command reports). */
export function describeProgress(progress: PullProgress, columns: number): string | undefined {
  switch (progress.status) {
    case "resolving":
      return `resolving ${progress.reference}`;
    case "resolved":
      return `pulling ${progress.name} (${progress.files.join(", ")})${progress.note === undefined ? "" : `\n  ${progress.note}`}`;
    case "waiting":
      return `waiting for another pull of ${progress.name}${progress.ownerPid === undefined ? "" : ` (process ${progress.ownerPid})`} to finish`;
    case "resuming":
      return `resuming ${progress.file} from ${formatBytes(progress.fromBytes)}`;
    case "verifying":
      return "verifying";
    case "probing":
      return "test-loading it in a separate process";
    case "up-to-date":
      return `${progress.name} is up to date`;
    case "success":
      return undefined;
    case "downloading":
      return downloadLine(progress, columns);
  }
}

function downloadLine(progress: Extract<PullProgress, { status: "downloading" }>, columns: number): string {
  const { completedBytes, totalBytes, bytesPerSecond, secondsLeft } = progress;
  const amount = totalBytes === undefined ? formatBytes(completedBytes) : `${formatBytes(completedBytes)} / ${formatBytes(totalBytes)}`;
  const speed = bytesPerSecond > 0 ? `  ${formatBytes(bytesPerSecond)}/s` : "";
  const left = secondsLeft === undefined ? "" : `  ${formatDuration(secondsLeft)} left`;
  const tail = `  ${amount}${speed}${left}`;
  if (totalBytes === undefined || totalBytes === 0) return `${progress.file}${tail}`;
  // Sized for the longest tail ("1.9 GB / 4.1 GB  12 MB/s  1h02m left"), so the bar does not jump as numbers change.
  const width = Math.max(10, Math.min(40, columns - progress.file.length - 52));
  return `${progress.file}  ${progressBar(completedBytes / totalBytes, width)}${tail}`.slice(0, Math.max(20, columns - 1));
}
