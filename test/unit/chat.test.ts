/** The chat's own logic on a scripted replier: lines into messages, the conversation and its file, answering, stopping, making room, the slash commands. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatReplier } from "../../src/cli/chat/chatReply.ts";
import { ChatSession } from "../../src/cli/chat/chatSession.ts";
import { Conversation } from "../../src/cli/chat/conversation.ts";
import { MessageLines } from "../../src/cli/chat/messageLines.ts";
import { runSlashCommand } from "../../src/cli/chat/slashCommands.ts";
import { ContextOverflowError } from "../../src/errors.ts";
import type { GenerationOptions } from "../../src/generation/options.ts";
import type { GenerationResult } from "../../src/generation/events.ts";
import type { ChatMessage } from "../../src/model/chatPrompt.ts";
import type { TokenStream } from "../../src/streaming/TokenStream.ts";

/**
 * A replier whose answers are scripted pieces and whose token count is one token per
 * character: what each reply was asked is recorded. `onPiece` runs before each piece is
 * handed out (a test aborts there).
 */
function scriptedReplier(answers: string[][], onPiece?: (index: number) => void): ChatReplier & { requests: { messages: ChatMessage[]; options: GenerationOptions }[] } {
  const requests: { messages: ChatMessage[]; options: GenerationOptions }[] = [];
  const promptTokens = (messages: readonly ChatMessage[]) => messages.reduce((sum, message) => sum + message.content.length, 0);
  return {
    format: "transcript",
    requests,
    promptTokens,
    reply(messages, options) {
      requests.push({ messages: [...messages], options });
      const pieces = answers.shift() ?? [];
      let settle!: (result: GenerationResult) => void;
      const result = new Promise<GenerationResult>((resolve) => (settle = resolve));
      let text = "";
      const finish = (stopReason: GenerationResult["stopReason"]) =>
        settle({ text, tokenCount: text.length, promptTokens: promptTokens(messages), cachedPromptTokens: 0, stopReason, seed: 1, timings: { queueMs: 0, promptMs: 1, timeToFirstTokenMs: 1, generationMs: 1, totalMs: 2, tokensPerSecond: 1, promptTokensPerSecond: 1 } });
      async function* events() {
        for (const [index, piece] of pieces.entries()) {
          onPiece?.(index);
          if (options.signal?.aborted) return finish("abort");
          text += piece;
          yield { text: piece, tokens: [], index, tokenCount: text.length, elapsedMs: 0 };
        }
        finish("eos");
      }
      return Object.assign(events(), { result }) as unknown as TokenStream;
    },
  };
}

test("lines: a trailing backslash goes on; a paste stays one message; the end flushes what is left", () => {
  const lines = new MessageLines();
  assert.equal(lines.push("hello"), "hello");
  assert.equal(lines.push("first \\"), undefined);
  assert.ok(lines.pending);
  assert.equal(lines.push("second"), "first \nsecond");
  assert.equal(lines.push("pasted one", true), undefined);
  assert.equal(lines.push("pasted two"), "pasted one\npasted two");
  assert.equal(lines.push("left open\\"), undefined);
  assert.equal(lines.flush(), "left open");
  assert.equal(lines.flush(), undefined);
  lines.push("dropped\\");
  lines.reset();
  assert.equal(lines.pending, false);
});

test("a conversation saves in the OpenAI messages shape and loads back; a wrong file says what is wrong", () => {
  const conversation = new Conversation("Be brief.");
  conversation.turns.push({ role: "user", content: "Hi" }, { role: "assistant", content: "Hello." });
  const saved = conversation.toSaved({ temperature: 0.2 });
  assert.deepEqual(saved.messages[0], { role: "system", content: "Be brief." });
  const loaded = Conversation.fromSaved(JSON.parse(JSON.stringify(saved)));
  assert.equal(loaded.conversation.system, "Be brief.");
  assert.deepEqual(loaded.conversation.turns, conversation.turns);
  assert.deepEqual(loaded.options, { temperature: 0.2 });
  assert.equal(Conversation.fromSaved({ messages: [{ role: "user", content: "x" }] }).conversation.system, undefined);
  assert.throws(() => Conversation.fromSaved({ messages: [{ role: "robot", content: "x" }] }), /^Error: not a saved chat \(messages\.0\.role: /);
  assert.throws(() => Conversation.fromSaved([]), /not a saved chat/);
  assert.throws(() => Conversation.fromSaved({ messages: [], options: { temperature: -1 } }), /options\.temperature/);
});

test("an answer streams, joins the conversation, and the next request carries the history", async () => {
  const replier = scriptedReplier([[" Hello", " there."], ["Again."]]);
  const session = new ChatSession(replier, 1000, { system: "Be brief.", settings: { temperature: 0 } });
  const pieces: string[] = [];
  const result = await session.answer("Hi", { onText: (text) => pieces.push(text) });
  assert.deepEqual(pieces, ["Hello", " there."], "the answer starts at its first word");
  assert.equal(result.stopReason, "eos");
  await session.answer("More", { onText: () => {} });
  assert.deepEqual(replier.requests[1]!.messages, [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello there." },
    { role: "user", content: "More" },
  ]);
  assert.equal(replier.requests[1]!.options.temperature, 0);
  assert.equal(replier.requests[1]!.options.maxTokens, 1000 - replier.promptTokens(replier.requests[1]!.messages), "the rest of the context");
  assert.equal(session.lastResult?.text, "Again.");
});

test("stopping keeps what was said; stopping before the first word leaves no trace", async () => {
  const abort = new AbortController();
  const replier = scriptedReplier([["One", " two", " three"], ["Never"]], (index) => {
    if (index === 2) abort.abort();
  });
  const session = new ChatSession(replier, 1000);
  const stopped = await session.answer("Count", { signal: abort.signal, onText: () => {} });
  assert.equal(stopped.stopReason, "abort");
  assert.deepEqual(session.conversation.turns, [
    { role: "user", content: "Count" },
    { role: "assistant", content: "One two" },
  ]);
  await session.answer("Again", { signal: abort.signal, onText: () => {} });
  assert.equal(session.conversation.turns.length, 2, "the unanswered message is gone");
});

test("a conversation that outgrows the context forgets its oldest exchanges; a message that cannot fit is refused", async () => {
  const replier = scriptedReplier([["a".repeat(30)], ["b".repeat(30)], ["c".repeat(30)]]);
  // 100 tokens of context: a quarter (25) stays free for each answer.
  const session = new ChatSession(replier, 100);
  const notices: string[] = [];
  for (const message of ["x".repeat(10), "y".repeat(10), "z".repeat(10)]) await session.answer(message, { onText: () => {}, onNotice: (line) => notices.push(line) });
  assert.deepEqual(notices, ["(the conversation outgrew the 100-token context: the oldest 2 messages are forgotten)"]);
  assert.deepEqual(replier.requests[2]!.messages.map((message) => message.content[0]), ["y", "b", "z"]);
  await assert.rejects(session.answer("w".repeat(80), { onText: () => {} }), (error: unknown) => error instanceof ContextOverflowError && /leaves no room for an answer of 25 tokens/.test(error.message));
  assert.equal(session.conversation.turns.at(-1)!.content[0], "c", "the refused message is not kept");
});

test("slash commands: /set, /system, /clear, /save and /load, /stats, unknown ones; none of them ends the chat but /exit", async () => {
  const session = new ChatSession(scriptedReplier([["Fine."]]), 1000);
  const run = async (line: string) => {
    let output = "";
    const outcome = await runSlashCommand(line, session, (text) => (output += text));
    return { outcome, output };
  };
  assert.equal((await run("/set temperature 0.2")).output, "(temperature = 0.2)\n");
  assert.equal(session.settings.temperature, 0.2);
  assert.equal((await run("/set top-k 5")).output, "(top-k = 5)\n");
  assert.match((await run("/set temperature warm")).output, /^\(Invalid --temperature: expected a number of at least 0, got "warm"\)\n$/);
  assert.equal((await run("/set colour red")).output, '(no setting "colour"; /set lists them)\n');
  assert.match((await run("/set")).output, /^ {2}max-tokens {6}default\n {2}temperature {5}0\.2\n {2}top-k {11}5\n/);
  assert.equal((await run("/set top-k default")).output, "(top-k is back to its default)\n");
  assert.equal(session.settings.topK, undefined);
  assert.equal((await run("/system")).output, "(no system prompt)\n");
  await run("/system You answer in one line.");
  assert.equal(session.conversation.system, "You answer in one line.");
  await session.answer("How?", { onText: () => {} });

  const directory = mkdtempSync(join(tmpdir(), "mullama-chat-"));
  const file = join(directory, "chat.json");
  assert.equal((await run(`/save ${file}`)).output, `(saved 2 messages to ${file})\n`);
  assert.equal((await run("/clear")).output, "(the conversation is cleared)\n");
  assert.equal(session.conversation.turns.length, 0);
  assert.equal(session.conversation.system, "You answer in one line.", "/clear keeps the system prompt");
  session.settings = {};
  assert.equal((await run(`/load ${file}`)).output, `(loaded 2 messages from ${file})\n`);
  assert.deepEqual(session.settings, { temperature: 0.2 });
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")).messages, session.conversation.messages());
  assert.match((await run(`/load ${join(directory, "missing.json")}`)).output, /^\(cannot load .*missing\.json: ENOENT/);
  writeFileSync(join(directory, "bad.json"), "{ not json");
  assert.match((await run(`/load ${join(directory, "bad.json")}`)).output, /^\(cannot load .*bad\.json: .*JSON/);
  assert.equal(session.conversation.turns.length, 2, "a failed load changes nothing");
  assert.equal((await run("/save")).output, "(/save needs a file name: /save chat.json)\n");
  assert.match((await run("/stats")).output, /^conversation {3}2 messages, \d+ of 1000 tokens of context \(plain transcript/);
  assert.equal((await run("/frobnicate")).output, "(unknown command /frobnicate; /help lists them)\n");
  assert.match((await run("/help")).output, /\/set \[name value\]/);
  assert.equal((await run("/exit")).outcome, "exit");
  assert.equal((await run("/clear")).outcome, "continue");
});
