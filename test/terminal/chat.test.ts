/**
 * `mullama chat` in a real terminal (tmux): a message and its streamed answer, history on
 * the arrow keys, continued lines and pastes, the slash commands, Ctrl-C that stops an
 * answer and keeps the conversation, Ctrl-C twice and Ctrl-D that leave with code 0.
 *
 * Needs tmux (`apt-get install tmux`; .ci/run installs it). Without it the tests fail,
 * unless MULLAMA_SKIP_TERMINAL=1 asks to skip them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { makeRandomModel } from "../../scripts/gguf/makeRandomModel.ts";
import { Model } from "../../src/index.ts";
import { TerminalSession, tmuxAvailable } from "../helpers/tmux.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const skip = process.env.MULLAMA_SKIP_TERMINAL === "1";
const mullama = "node --import tsx src/cli/main.ts";
const sessions: TerminalSession[] = [];
/** Random weights of a realistic shape: slow enough to watch a prompt being processed and an answer streaming. */
const slowModelShape = { name: "chat-slow", vocabularySize: 32_000, width: 512, blocks: 8, heads: 8, kvHeads: 8, feedForward: 1376, contextLength: 1024, type: "Q8_0" } as const;

function start(command: string): TerminalSession {
  const session = TerminalSession.start(command, { cwd: root, env: { MULLAMA_API_KEY: "" } });
  sessions.push(session);
  return session;
}

before(() => {
  if (!skip && !tmuxAvailable()) throw new Error("The terminal tests need tmux (apt-get install tmux); set MULLAMA_SKIP_TERMINAL=1 to skip them");
});
after(() => {
  for (const session of sessions) session.close();
});

describe("mullama chat in a terminal", { skip }, () => {
  test("answers, recalls history, continues lines, keeps a paste whole, /set, /save, /clear, /load, /stats; Ctrl-D leaves with 0", async () => {
    const directory = mkdtempSync(join(tmpdir(), "mullama-chat-"));
    const chat = start(`${mullama} chat --threads 1 -t 0`);
    await chat.waitFor(/chatting with kjv-tiny-q8_0 \(no chat template: a plain transcript, 256 tokens of context\); \/help for commands, Ctrl-D to leave\n>>> ?$/);
    assert.doesNotMatch(chat.screen(), /loading/, "the load bar is gone once the model is in");

    chat.type("And God said");
    chat.press("Enter");
    // The demo model's greedy answer in the transcript format, then the prompt again.
    await chat.waitFor(/>>> And God said\nfor I have done this day\.\n>>> ?$/);

    chat.press("Up");
    await chat.waitFor(/>>> And God said$/);
    chat.press("C-c");
    await chat.waitFor(/>>> And God said\^C\n>>> ?$/);

    chat.type("/set temperature 0.2");
    chat.press("Enter");
    await chat.waitFor(/\(temperature = 0\.2\)\n>>> ?$/);
    chat.type("/set temperature 0");
    chat.press("Enter");
    await chat.waitFor(/\(temperature = 0\)\n>>> ?$/);

    // A trailing backslash goes on on the next line; a paste of two lines is one message.
    chat.type("In the \\");
    chat.press("Enter");
    await chat.waitFor(/>>> In the \\\n\.\.\. ?$/);
    chat.type("beginning");
    chat.press("Enter");
    await chat.waitFor(/\.\.\. beginning\n[^\n]*\n>>> ?$/);
    chat.paste("Thou shalt not\nkill");
    chat.press("Enter");
    await chat.waitFor(/>>> Thou shalt not\n(\.\.\. )?kill\n[^\n]*\n>>> ?$/);

    const file = join(directory, "chat.json");
    chat.type(`/save ${file}`);
    chat.press("Enter");
    await chat.waitFor(/\(saved \d+ messages to .*chat\.json\)\n>>> ?$/);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { messages: { role: string; content: string }[]; options: Record<string, number> };
    assert.deepEqual(saved.messages.slice(0, 2), [
      { role: "user", content: "And God said" },
      { role: "assistant", content: "for I have done this day." },
    ]);
    const users = saved.messages.filter((message) => message.role === "user").map((message) => message.content);
    assert.deepEqual(users, ["And God said", "In the \nbeginning", "Thou shalt not\nkill"]);
    assert.deepEqual(saved.options, { temperature: 0 });

    chat.type("/clear");
    chat.press("Enter");
    chat.type("/stats");
    chat.press("Enter");
    await chat.waitFor(/conversation {3}0 messages, /);
    chat.type(`/load ${file}`);
    chat.press("Enter");
    await chat.waitFor(new RegExp(`\\(loaded ${saved.messages.length} messages from .*chat\\.json\\)\\n>>> ?$`));
    chat.type("/stats");
    chat.press("Enter");
    await chat.waitFor(new RegExp(`conversation {3}${saved.messages.length} messages, \\d+ of 256 tokens[^\\n]*\\nlast answer {4}\\d+ tokens, [\\d.]+ tokens/s`));

    chat.press("C-d");
    await chat.waitFor(/\nEXIT=0$/);
  });

  test("Ctrl-C stops a streaming answer and keeps the conversation; Ctrl-C again at the empty prompt leaves with 0", async () => {
    // Random weights never end an answer on their own (greedy never picks EOS) and decode at about 100 tokens/s
    // here, so an answer is still streaming when Ctrl-C comes.
    const model = await makeRandomModel(slowModelShape, fileURLToPath(new URL("../fixtures/generated/", import.meta.url)));
    const chat = start(`${mullama} chat -m ${model} --threads 1 -t 0`);
    await chat.waitFor(/Ctrl-D to leave\n>>> ?$/, 60_000);
    chat.type("Hello");
    chat.press("Enter");
    const first = (await chat.waitFor(/>>> Hello\n(.{20,})/))[1]!;
    const later = (await chat.waitFor(new RegExp(`>>> Hello\\n(.{${first.length + 20},})`)))[1]!;
    assert.ok(later.startsWith(first.slice(0, 20)), "the same answer, grown: it streams");
    chat.press("C-c");
    await chat.waitFor(/\n>>> ?$/);
    chat.type("/stats");
    chat.press("Enter");
    await chat.waitFor(/conversation {3}2 messages, [^\n]*\nlast answer {4}\d+ tokens, [^\n]*stopped by abort/);

    chat.type("Again");
    chat.press("Enter");
    await chat.waitFor(/>>> Again\n.{20,}/);
    chat.press("C-c");
    await chat.waitFor(/\n>>> ?$/);
    chat.press("C-c");
    await chat.waitFor(/\nEXIT=0$/);
  });

  test("run with a long prompt shows its processing progress on the terminal; the answer takes its place", async () => {
    const path = await makeRandomModel(slowModelShape, fileURLToPath(new URL("../fixtures/generated/", import.meta.url)));
    // Between one and two batches (512 tokens each here): one report mid-prompt, then the answer.
    const model = await Model.load(path);
    let prompt = "";
    try {
      while (model.tokenize(prompt, { addBos: true }).length < 800) prompt += "And the earth was without form, and void. ";
    } finally {
      await model.dispose();
    }
    const directory = mkdtempSync(join(tmpdir(), "mullama-run-"));
    writeFileSync(join(directory, "prompt.txt"), prompt);
    const run = start(`cat ${join(directory, "prompt.txt")} | ${mullama} run -m ${path} --threads 1 -t 0 -n 4`);
    const [, evaluated, total] = (await run.waitFor(/prompt {2}\[#+-+\] +\d+% {2}(\d+)\/(\d+) tokens/, 60_000)).map(Number);
    assert.equal(evaluated, 512);
    assert.ok(total! >= 800);
    await run.waitFor(/\[4 tokens, [^\n]*\]\nEXIT=0$/, 60_000);
    assert.doesNotMatch(run.screen(), /prompt {2}\[/, "the bar is gone once the answer starts");
  });

  test("run at a terminal without a prompt says how to give one, exit 2", async () => {
    const run = start(`${mullama} run`);
    await run.waitFor(/mullama: run needs a prompt: mullama run "Once upon a time", or pipe one in; for a conversation, mullama chat; see mullama run --help\nEXIT=2$/);
  });
});
