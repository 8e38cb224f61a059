/**
 * `context.chat` on the demo model (no chat template: the plain transcript): plain turns,
 * forced tool calls that always parse and validate, streamed step by step, history with
 * calls and results, and bad input refused up front.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ajv } from "ajv";
import { Context, InvalidArgumentError, Model, type ChatTool, type StreamPart } from "../../src/index.ts";
import { collect, loadDemo } from "../helpers/demoModel.ts";

let model: Model;
let context: Context;
before(async () => ({ model, context } = await loadDemo({ sequences: 2, contextSize: 1024 })));
after(() => model.dispose());

const ajv = new Ajv({ strict: false });
const tools: Record<string, ChatTool> = {
  weather: { description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string", maxLength: 16 }, days: { type: "integer" } }, required: ["city", "days"] } },
  verse: { description: "Look up a verse", parameters: { type: "object", properties: { book: { enum: ["Genesis", "Exodus"] }, chapter: { type: "integer" } } } },
};
const question = [{ role: "system", content: "Thou shalt call tools." }, { role: "user", content: "What saith the weather?" }] as const;

test("a plain chat turn is the transcript's continuation, ending before the next turn", async () => {
  const stream = context.chat([...question], { maxTokens: 30, temperature: 0 });
  const text = await stream.text();
  const direct = await context.generate("System: Thou shalt call tools.\nUser: What saith the weather?\nAssistant:", { maxTokens: 30, temperature: 0, stop: ["\nUser:", "\nSystem:"] });
  assert.equal(text, direct.text);
});

test("a forced call (required, or by name) always parses and validates, streamed as start, deltas, call", async () => {
  for (const [seed, toolChoice] of [[1, "required"], [2, "required"], [3, { name: "verse" }], [4, { name: "weather" }], [5, "required"]] as const) {
    const parts: StreamPart[] = await collect(context.chat([...question], { tools, toolChoice, seed, temperature: 1, maxTokens: 120 }).parts());
    const final = parts.at(-1)!;
    assert.equal(final.type, "finish");
    const result = (final as Extract<StreamPart, { type: "finish" }>).result;
    assert.equal(result.stopReason, "toolCalls", `seed ${seed}`);
    assert.equal(result.toolCalls?.length, 1);
    const call = result.toolCalls![0]!;
    if (typeof toolChoice === "object") assert.equal(call.name, toolChoice.name);
    assert.ok(ajv.validate(tools[call.name]!.parameters!, call.arguments), `seed ${seed}: ${call.argumentsText} ${ajv.errorsText()}`);
    const start = parts.findIndex((part) => part.type === "tool-call-start");
    const deltas = parts.filter((part) => part.type === "tool-call-delta");
    assert.deepEqual(parts[start], { type: "tool-call-start", id: call.id, name: call.name });
    assert.ok(deltas.length > 1, "arguments arrive in pieces");
    assert.equal(deltas.map((part) => part.argumentsDelta).join(""), call.argumentsText);
    assert.deepEqual(JSON.parse(call.argumentsText), call.arguments);
    assert.equal(parts.at(-2)!.type, "tool-call");
    assert.equal(result.text, "");
  }
});

test("history with calls and their results renders; greedy streamed equals collected", async () => {
  const history = [
    ...question,
    { role: "assistant" as const, content: "", toolCalls: [{ id: "call_1", name: "weather", arguments: { city: "Zion", days: 2 } }] },
    { role: "tool" as const, toolCallId: "call_1", content: "Fair and dry" },
  ];
  const options = { tools, toolChoice: "required" as const, temperature: 0, maxTokens: 120 };
  const first = context.chat(history, options);
  await collect(first.parts());
  const collected = await first.result;
  const stream = context.chat(history, options);
  for await (const _event of stream) {
    // Token events are the text only.
  }
  const streamed = await stream.result;
  assert.deepEqual(streamed.toolCalls!.map(({ name, argumentsText }) => ({ name, argumentsText })), collected.toolCalls!.map(({ name, argumentsText }) => ({ name, argumentsText })));
});

test("bad chat input is refused before anything runs, naming the field", () => {
  const refused = (run: () => unknown, argument: string) => assert.throws(run, (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument);
  refused(() => context.chat([...question], { tools, toolChoice: { name: "fly" } }), "options.toolChoice");
  refused(() => context.chat([...question], { toolChoice: "required" }), "options.toolChoice");
  refused(() => context.chat([...question], { tools: { bad: { parameters: { type: "object", properties: { x: { type: "string", pattern: "a" } } } } } }), "options.tools.bad.parameters.properties.x.pattern");
  refused(() => context.chat([{ role: "tool", toolCallId: "nope", content: "x" }]), "messages[0].toolCallId");
  refused(() => context.chat([{ role: "wizard", content: "x" } as never]), "messages.0.role");
  refused(() => context.chat([]), "messages");
  assert.equal(context.busySequences, 0);
});
