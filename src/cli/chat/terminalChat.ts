/**
 * The chat at a terminal. Each message is read with node:readline (arrow keys edit the
 * line and walk the history); a line that ends with a backslash continues the message,
 * and a paste (the terminal's bracketed paste) stays one message however many lines it
 * has. The answer streams as it is generated.
 *
 * Keys: Ctrl-C while an answer is generated stops it (what was said stays in the
 * conversation); Ctrl-C at a line with text drops the text; Ctrl-C at an empty prompt
 * right after a stop (or a second Ctrl-C there) leaves; Ctrl-D at an empty prompt leaves.
 *
 * While an answer streams the terminal is back in its normal mode, so Ctrl-C arrives as
 * SIGINT; readline only holds the terminal while a message is typed.
 */
import { createInterface } from "node:readline";
import { describeFailure } from "../failure.js";
import type { ChatSession } from "./chatSession.js";
import { MessageLines } from "./messageLines.js";
import { runSlashCommand } from "./slashCommands.js";

const prompt = ">>> ";
const continuationPrompt = "... ";
/** Asks the terminal to mark pastes (ESC[200~ ... ESC[201~), and to stop. */
const bracketedPaste = { on: "\x1b[?2004h", off: "\x1b[?2004l" };
/** Lines recalled with the arrow keys. */
const historySize = 500;

/** A message; a line dropped with Ctrl-C; Ctrl-C at an empty prompt; leaving. */
type Input = { kind: "message"; text: string } | { kind: "dropped" } | { kind: "cancelled" } | { kind: "leave" };

export async function runTerminalChat(session: ChatSession): Promise<number> {
  const history: string[] = [];
  // Set after a Ctrl-C that stopped an answer or met an empty prompt: one more at an empty prompt leaves.
  let armed = false;
  let answering: AbortController | undefined;
  const onInterrupt = () => answering?.abort();
  process.on("SIGINT", onInterrupt);
  // Escape codes are for a terminal, not for a file that stdout may be.
  const pasteMarks = process.stdout.isTTY === true;
  if (pasteMarks) process.stdout.write(bracketedPaste.on);
  try {
    for (;;) {
      const input = await readMessage(history, armed);
      if (input.kind === "leave") return 0;
      armed = input.kind === "cancelled";
      if (input.kind !== "message" || input.text.trim() === "") continue;
      if (input.text.startsWith("/")) {
        if ((await runSlashCommand(input.text, session, (text) => process.stdout.write(text))) === "exit") return 0;
        continue;
      }
      answering = new AbortController();
      try {
        const result = await session.answer(input.text, {
          signal: answering.signal,
          onText: (text) => process.stdout.write(text),
          onNotice: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write("\n");
        armed = result.stopReason === "abort";
      } catch (error) {
        // A message too long for the context, say: the chat goes on without it.
        process.stderr.write(`\nmullama: ${describeFailure(error).line}\n`);
      } finally {
        answering = undefined;
      }
    }
  } finally {
    if (pasteMarks) process.stdout.write(bracketedPaste.off);
    process.off("SIGINT", onInterrupt);
  }
}

/** Reads one message: a readline of its own, closed again before the answer (see the module comment). */
function readMessage(history: string[], armed: boolean): Promise<Input> {
  return new Promise((resolve) => {
    const lines = new MessageLines();
    const reader = createInterface({ input: process.stdin, output: process.stdout, terminal: true, history: [...history], historySize, removeHistoryDuplicates: true, prompt });
    let pasting = false;
    let settled = false;
    const onKey = (_text: string | undefined, key: { name?: string } | undefined) => {
      if (key?.name === "paste-start") pasting = true;
      else if (key?.name === "paste-end") pasting = false;
    };
    const finish = (input: Input) => {
      settled = true;
      history.splice(0, history.length, ...(reader as unknown as { history: string[] }).history);
      process.stdin.off("keypress", onKey);
      reader.close();
      resolve(input);
    };
    process.stdin.on("keypress", onKey);
    reader.on("line", (line) => {
      const message = lines.push(line, pasting);
      if (message !== undefined) return finish({ kind: "message", text: message });
      reader.setPrompt(continuationPrompt);
      reader.prompt();
    });
    reader.on("SIGINT", () => {
      if (reader.line !== "" || lines.pending) {
        process.stdout.write("^C\n");
        return finish({ kind: "dropped" });
      }
      if (armed) {
        process.stdout.write("\n");
        return finish({ kind: "leave" });
      }
      process.stdout.write("^C (Ctrl-C again or Ctrl-D to leave)\n");
      finish({ kind: "cancelled" });
    });
    // Ctrl-D at an empty line closes the reader; so does the end of the input.
    reader.on("close", () => {
      if (settled) return;
      settled = true;
      process.stdin.off("keypress", onKey);
      process.stdout.write("\n");
      resolve({ kind: "leave" });
    });
    reader.prompt();
  });
}
