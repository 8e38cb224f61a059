/** What `/stats` prints: the last answer's speed and the conversation's size against the context. */
import type { ChatSession } from "./chatSession.js";

export function describeStats(session: ChatSession): string {
  const used = session.promptTokens();
  const lines = [
    `conversation   ${session.conversation.turns.length} messages, ${used} of ${session.contextSize} tokens of context (${session.replier.format === "transcript" ? "plain transcript: the model has no chat template" : "the model's chat template"})`,
  ];
  const result = session.lastResult;
  if (result === undefined) {
    lines.push("last answer    none yet");
  } else {
    const { timings } = result;
    lines.push(
      `last answer    ${result.tokenCount} tokens, ${timings.tokensPerSecond.toFixed(1)} tokens/s, first token after ${timings.timeToFirstTokenMs.toFixed(0)} ms, stopped by ${result.stopReason}`,
      `its prompt     ${result.promptTokens} tokens, ${result.cachedPromptTokens} of them reused from the previous turn, read at ${timings.promptTokensPerSecond.toFixed(0)} tokens/s`,
    );
  }
  return `${lines.join("\n")}\n`;
}
