/**
 * `context.chat` reading a model's own output syntax, on scripted models whose GGUF carries
 * a real family's chat template (test/fixtures/chatTemplates.ts): with `toolChoice: "auto"`
 * a call written in the template's tool format becomes tool-call parts, the text before it
 * text; thinking in the template's markers becomes reasoning, or is left out.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Context, Model, type ChatTool, type StreamPart } from "../../src/index.ts";
import { makeControlMarkerToolModel, makeThinkingModel, makeToolCallingModel } from "../fixtures/chatTemplates.ts";
import { collect } from "../helpers/demoModel.ts";

const tools: Record<string, ChatTool> = {
  get_weather: { description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};
const question = [{ role: "user" as const, content: "Weather in Paris?" }];

let toolModel: Model;
let thinkingModel: Model;
let toolContext: Context;
let thinkingContext: Context;
before(async () => {
  toolModel = await Model.load(await makeToolCallingModel());
  thinkingModel = await Model.load(await makeThinkingModel());
  // The rendered tool instructions are longer than the scripted model's trained context.
  toolContext = await Context.create(toolModel, { contextSize: 2048, threads: 1 });
  thinkingContext = await Context.create(thinkingModel, { contextSize: 2048, threads: 1 });
});
after(async () => {
  await toolModel.dispose();
  await thinkingModel.dispose();
});

type Finish = Extract<StreamPart, { type: "finish" }>;

/** Runs a stream to its end and returns its result. */
async function resultOf(stream: { parts(): AsyncIterable<StreamPart> }) {
  const parts = await collect(stream.parts());
  return (parts.at(-1) as Finish).result;
}

test('"auto": text before the call as text, then the call start, argument deltas and the parsed call', async () => {
  const parts: StreamPart[] = await collect(toolContext.chat(question, { tools, toolChoice: "auto", temperature: 0 }).parts());
  const kinds = parts.map((part) => part.type);
  const firstCallPart = kinds.indexOf("tool-call-start");
  assert.ok(firstCallPart > 0, kinds.join());
  assert.ok(kinds.slice(0, firstCallPart).every((kind) => kind === "text"));
  assert.deepEqual(kinds.slice(firstCallPart).filter((kind) => kind !== "tool-call-delta"), ["tool-call-start", "tool-call", "finish"]);
  const text = parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
  assert.equal(text, "Let me check.");
  // The text went out before the call was generated, not all at the end.
  assert.ok(parts.filter((part) => part.type === "text").length >= 3);

  const start = parts[firstCallPart] as Extract<StreamPart, { type: "tool-call-start" }>;
  assert.equal(start.name, "get_weather");
  const deltas = parts.flatMap((part) => (part.type === "tool-call-delta" ? [part] : []));
  assert.ok(deltas.length >= 2, "the arguments stream in pieces as generated");
  assert.ok(deltas.every((delta) => delta.id === start.id));
  const call = parts.find((part) => part.type === "tool-call")!;
  assert.equal(deltas.map((delta) => delta.argumentsDelta).join(""), call.argumentsText);
  assert.deepEqual(call.arguments, { city: "Paris" });

  const { result } = parts.at(-1) as Finish;
  assert.equal(result.stopReason, "toolCalls");
  assert.equal(result.text, "Let me check.");
  assert.deepEqual(result.toolCalls, [{ id: start.id, name: "get_weather", arguments: { city: "Paris" }, argumentsText: '{"city": "Paris"}' }]);
});

test('without tools, or with "none", the same reply is text: no call is read', async () => {
  for (const options of [{}, { tools, toolChoice: "none" as const }]) {
    const result = await resultOf(toolContext.chat(question, { ...options, temperature: 0 }));
    assert.equal(result.stopReason, "eos");
    assert.equal(result.toolCalls, undefined);
    assert.equal(result.text, 'Let me check.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');
  }
});

test("markers that are control tokens are read too: the chat path writes special tokens out while it looks for them", async () => {
  const model = await Model.load(await makeControlMarkerToolModel());
  try {
    const context = await Context.create(model, { contextSize: 2048, threads: 1 });
    const parts: StreamPart[] = await collect(context.chat(question, { tools, temperature: 0 }).parts());
    const { result } = parts.at(-1) as Finish;
    assert.equal(result.stopReason, "toolCalls");
    assert.equal(result.text, "Let me check.");
    assert.deepEqual(result.toolCalls?.map((call) => [call.name, call.arguments]), [["get_weather", { city: "Paris" }]]);
    // A plain generation leaves control tokens out, as before.
    const plain = await context.generate("hi", { temperature: 0 });
    assert.equal(plain.text, 'Let me check.\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n');
  } finally {
    await model.dispose();
  }
});

test("a call of a tool the request does not offer stays text", async () => {
  const result = await resultOf(toolContext.chat(question, { tools: { get_time: { description: "The time" } }, temperature: 0 }));
  assert.equal(result.stopReason, "eos");
  assert.match(result.text, /^Let me check\.<tool_call>/);
});

test("thinking becomes reasoning parts and result.reasoning, apart from the text", async () => {
  const parts: StreamPart[] = await collect(thinkingContext.chat(question, { temperature: 0 }).parts());
  assert.deepEqual(
    parts.filter((part) => part.type === "reasoning" || part.type === "text").map((part) => part.type),
    ["reasoning", "reasoning", "text"],
  );
  const { result } = parts.at(-1) as Finish;
  assert.equal(result.reasoning, "The user wants X.");
  assert.equal(result.text, "Answer.");
  assert.equal(result.stopReason, "eos");
});

test("thinking: false renders the template's empty thought and leaves any thinking out", async () => {
  const thinking = await resultOf(thinkingContext.chat(question, { temperature: 0 }));
  const quiet = await resultOf(thinkingContext.chat(question, { temperature: 0, thinking: false }));
  assert.equal(quiet.text, "Answer.");
  assert.equal(quiet.reasoning, undefined);
  // One token per byte: the prompt grew by the empty thought the template writes.
  assert.equal(quiet.promptTokens - thinking.promptTokens, "<think>\n\n</think>\n\n".length);
});

test("a model whose template does not separate thinking keeps its text as it is", async () => {
  const result = await resultOf(toolContext.chat(question, { temperature: 0, thinking: false }));
  assert.equal(result.reasoning, undefined);
  assert.match(result.text, /^Let me check\./);
});
