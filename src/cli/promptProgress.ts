/**
 * Prompt-processing progress on a terminal: while a long prompt is evaluated (batch by
 * batch, before the first token), a bar on stderr says how far it got; it goes before
 * the answer starts. Like the model-load bar, it draws nothing when stderr is not a terminal.
 */
import { progressBar, StatusLine } from "./statusLine.js";

export interface PromptProgress {
  /** The generation option that feeds the bar. */
  onPromptProgress: (evaluatedTokens: number, promptTokens: number) => void;
  /** Removes the bar (a generation stopped before its first token leaves none behind). */
  clear(): void;
}

export function promptProgress(status: StatusLine = new StatusLine()): PromptProgress {
  return {
    onPromptProgress(evaluatedTokens, promptTokens) {
      if (evaluatedTokens >= promptTokens) status.clear();
      else status.draw(`prompt  ${progressBar(evaluatedTokens / promptTokens, 30)}  ${evaluatedTokens}/${promptTokens} tokens`);
    },
    clear: () => status.clear(),
  };
}
