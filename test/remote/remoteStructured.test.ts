/**
 * Structured output over a remote engine: Context.connect against another `mullama serve`
 * on loopback (the demo model). A JSON schema is sent as `response_format` and the engine
 * enforces it, so the text parses and validates, streamed or not, on both routes; a GBNF
 * grammar, which no OpenAI field carries, is refused rather than silently dropped. Tools go
 * as `tools` / `tool_choice` and the engine's streamed calls come back as tool-call parts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ajv } from "ajv";
import { InvalidArgumentError, type ChatMessage, type StreamPart } from "../../src/index.ts";
import { connectedUpstream } from "./connectedUpstream.ts";

const greedy = { temperature: 0 } as const;
// The demo model never writes quote marks on its own: short strings keep the answer short.
const verseSchema = {
  type: "object",
  properties: { book: { type: "string", maxLength: 12 }, holy: { type: "boolean" } },
  required: ["book", "holy"],
  additionalProperties: false,
};
const validVerse = new Ajv().compile(verseSchema);

function assertValidJson(text: string): void {
  const value: unknown = JSON.parse(text);
  assert.ok(validVerse(value), `${text} breaks the schema: ${JSON.stringify(validVerse.errors)}`);
}

describe("structured output over Context.connect", () => {
  const connection = connectedUpstream({ parallel: 2, contextSize: 512 });

  test("a completion with jsonSchema parses and validates, streamed and not", async () => {
    const pieces: string[] = [];
    for await (const event of connection.remote.stream("In the beginning", { ...greedy, maxTokens: 64, jsonSchema: verseSchema })) pieces.push(event.text);
    assert.ok(pieces.length > 1, "the JSON arrives in pieces");
    assertValidJson(pieces.join(""));
    const result = await connection.remote.generate("And God said", { ...greedy, maxTokens: 64, jsonSchema: verseSchema });
    assertValidJson(result.text);
    assert.equal(result.stopReason, "eos");
  });

  test("a chat with jsonSchema parses and validates, streamed and not", async () => {
    const messages = [{ role: "user" as const, content: "Name a book" }];
    const stream = connection.remote.chat(messages, { ...greedy, maxTokens: 64, jsonSchema: verseSchema });
    const pieces: string[] = [];
    for await (const event of stream) pieces.push(event.text);
    assertValidJson(pieces.join(""));
    assert.equal((await stream.result).text, pieces.join(""));
    const collected = connection.remote.chat(messages, { ...greedy, maxTokens: 64, jsonSchema: verseSchema });
    assertValidJson(await collected.text());
  });

  test("without the schema the same prompt is not JSON: the schema is what shaped it", async () => {
    const result = await connection.remote.generate("In the beginning", { ...greedy, maxTokens: 24 });
    assert.throws(() => JSON.parse(result.text));
  });

  test("a grammar is refused before anything is sent, naming options.grammar", () => {
    const refused = (error: unknown) => error instanceof InvalidArgumentError && error.argument === "options.grammar" && /GBNF/.test(error.message);
    assert.throws(() => connection.remote.stream("In the beginning", { grammar: 'root ::= "yes"' }), refused);
    assert.throws(() => connection.remote.chat([{ role: "user", content: "Yes?" }], { grammar: 'root ::= "yes"' }), refused);
  });

  const tools = {
    lookup: { description: "Looks a book up", parameters: verseSchema },
    count: { description: "Counts verses", parameters: { type: "object", properties: { chapter: { type: "boolean" } }, required: ["chapter"], additionalProperties: false } },
  };

  async function toolTurn(toolChoice: "required" | { name: string }) {
    const stream = connection.remote.chat([{ role: "user", content: "Look up a book" }], { ...greedy, maxTokens: 96, tools, toolChoice });
    const parts: StreamPart[] = [];
    for await (const part of stream.parts()) parts.push(part);
    return { parts, result: await stream.result };
  }

  for (const toolChoice of ["required", { name: "lookup" }] as const) {
    test(`a forced call (${JSON.stringify(toolChoice)}) streams as tool-call parts whose deltas add up to the arguments`, async () => {
      const { parts, result } = await toolTurn(toolChoice);
      const starts = parts.filter((part) => part.type === "tool-call-start");
      const calls = parts.filter((part) => part.type === "tool-call");
      assert.equal(starts.length, 1);
      assert.equal(calls.length, 1);
      const [start, call] = [starts[0]!, calls[0]!];
      assert.equal(call.id, start.id);
      assert.equal(call.name, start.name);
      if (typeof toolChoice === "object") assert.equal(call.name, toolChoice.name);
      assert.ok(call.name in tools);
      const deltas = parts.filter((part) => part.type === "tool-call-delta" && part.id === start.id);
      assert.ok(deltas.length > 1, "the arguments arrive in pieces");
      assert.equal(deltas.map((part) => (part.type === "tool-call-delta" ? part.argumentsDelta : "")).join(""), call.argumentsText);
      assert.deepEqual(JSON.parse(call.argumentsText), call.arguments);
      assert.ok(parts.indexOf(start) < parts.indexOf(deltas[0]!) && parts.indexOf(deltas.at(-1)!) < parts.indexOf(call));
      assert.equal(result.stopReason, "toolCalls");
      assert.deepEqual(result.toolCalls, [{ id: call.id, name: call.name, arguments: call.arguments, argumentsText: call.argumentsText }]);
      assert.equal(parts.at(-1)?.type, "finish");
    });
  }

  test("tool calls and results in the history go out in OpenAI's shape: the engine answers as to the same turn sent by hand", async () => {
    const forced = await toolTurn({ name: "lookup" });
    const call = forced.result.toolCalls![0]!;
    const messages: ChatMessage[] = [
      { role: "user", content: "Look up a book" },
      { role: "assistant", content: "", toolCalls: [{ id: call.id, name: call.name, arguments: call.arguments }] },
      { role: "tool", toolCallId: call.id, content: "Genesis" },
      { role: "user", content: "And the earth was" },
    ];
    // The same turn written by hand in OpenAI's words, straight to the engine.
    const openAiMessages = [
      { role: "user", content: "Look up a book" },
      { role: "assistant", content: "", tool_calls: [{ id: call.id, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments) } }] },
      { role: "tool", tool_call_id: call.id, content: "Genesis" },
      { role: "user", content: "And the earth was" },
    ];
    const offered = Object.entries(tools).map(([name, tool]) => ({ type: "function", function: { name, ...tool } }));
    const direct = await fetch(`${connection.upstream.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: connection.remote.model, messages: openAiMessages, tools: offered, max_tokens: 16, temperature: 0 }),
    });
    const answer = (await direct.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    const expected = answer.choices[0]!.message.content;
    assert.ok(expected.length > 0);
    const stream = connection.remote.chat(messages, { ...greedy, maxTokens: 16, tools });
    await stream.text();
    const result = await stream.result;
    assert.equal(result.text, expected);
    // The same prompt, call and result included, down to the token.
    assert.equal(result.promptTokens, answer.usage.prompt_tokens);
  });
});
