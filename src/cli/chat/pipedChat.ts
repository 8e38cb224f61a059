/**
 * The chat for scripts: messages come on standard input, one per line (a trailing
 * backslash continues a message on the next line; empty lines are skipped; a line that
 * starts with "/" is a command), and each answer goes to standard output followed by a
 * newline, or, with `--json`, as one JSON object per line. Ctrl-C (SIGINT) stops the
 * answer being generated and ends the chat.
 */
import { createInterface } from "node:readline";
import type { ChatSession } from "./chatSession.js";
import { MessageLines } from "./messageLines.js";
import { runSlashCommand } from "./slashCommands.js";

export async function runPipedChat(session: ChatSession, options: { json: boolean }): Promise<number> {
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once("SIGINT", onInterrupt);
  const lines = createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  const pending = new MessageLines();
  const print = (text: string) => process.stdout.write(text);
  try {
    for await (const line of lines) {
      const message = pending.push(line);
      if (message === undefined) continue;
      if ((await handle(session, message, options.json, abort.signal, print)) === "exit" || abort.signal.aborted) break;
    }
    const last = pending.flush();
    if (last !== undefined && !abort.signal.aborted) await handle(session, last, options.json, abort.signal, print);
    return abort.signal.aborted ? 130 : 0;
  } finally {
    lines.close();
    process.off("SIGINT", onInterrupt);
  }
}

async function handle(session: ChatSession, message: string, json: boolean, signal: AbortSignal, print: (text: string) => void): Promise<"continue" | "exit"> {
  if (message.trim() === "") return "continue";
  if (message.startsWith("/")) return runSlashCommand(message, session, print);
  let text = "";
  const result = await session.answer(message, {
    signal,
    onText: (piece) => {
      text += piece;
      if (!json) print(piece);
    },
    onNotice: (line) => process.stderr.write(`${line}\n`),
  });
  if (!json) {
    print("\n");
    return "continue";
  }
  const { stopReason, tokenCount, promptTokens, timings } = result;
  print(`${JSON.stringify({ role: "assistant", content: text.trimEnd(), stopReason, tokenCount, promptTokens, tokensPerSecond: timings.tokensPerSecond })}\n`);
  return "continue";
}
