/**
 * A chat format's own syntax in generated text, read into typed output: tool calls
 * (templateToolCalls.ts) and thinking (thoughtSegments.ts). Each script is fed in every
 * split into two pieces and one character at a time, since a marker can be cut anywhere
 * by token boundaries; the output must not depend on where.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ThoughtSyntax, ToolCallSyntax } from "../../src/engine/outputSyntax.ts";
import { TemplateToolCallShaper } from "../../src/chat/templateToolCalls.ts";
import { ThoughtShaper } from "../../src/chat/thoughtSegments.ts";
import { GenerationError } from "../../src/errors.ts";
import { chainShapers, type OutputShaper, type ShapedOutput } from "../../src/generation/outputShaper.ts";

const qwen: ToolCallSyntax = { prefixes: ['<tool_call>\n{"name": "'], argumentsPrefix: () => '", "arguments": ', suffix: "}\n</tool_call>" };
const generic: ToolCallSyntax = { prefixes: ["||call: ", "||call:"], argumentsPrefix: () => "(", suffix: ")" };
const think: ThoughtSyntax = { prefix: "<think>\n", suffix: "\n</think>", opensAtStart: false };

/** Consecutive outputs of one kind merged, ids replaced by their order, so splits compare equal. */
function normalize(outputs: ShapedOutput[]): unknown[] {
  const ids = new Map<string, string>();
  const merged: Record<string, unknown>[] = [];
  for (const output of outputs) {
    const copy: Record<string, unknown> = { ...output };
    if ("id" in output) {
      if (!ids.has(output.id)) ids.set(output.id, `call${ids.size}`);
      copy.id = ids.get(output.id);
    }
    const last = merged.at(-1);
    if (last !== undefined && last.type === copy.type && (copy.type === "text" || copy.type === "reasoning")) last.text = `${String(last.text)}${String(copy.text)}`;
    else if (last !== undefined && last.type === "tool-call-delta" && copy.type === "tool-call-delta" && last.id === copy.id) last.argumentsDelta = `${String(last.argumentsDelta)}${String(copy.argumentsDelta)}`;
    else merged.push(copy);
  }
  return merged;
}

function run(make: () => OutputShaper, pieces: readonly string[], complete = true): ShapedOutput[] {
  const shaper = make();
  return [...pieces.flatMap((piece) => shaper.push(piece)), ...shaper.end(complete)];
}

/** The same result for the whole text, every two-piece split and character by character. */
function shapeEverySplit(make: () => OutputShaper, text: string): unknown[] {
  const whole = normalize(run(make, [text]));
  for (let cut = 1; cut < text.length; cut++) assert.deepEqual(normalize(run(make, [text.slice(0, cut), text.slice(cut)])), whole, `split at ${cut}`);
  assert.deepEqual(normalize(run(make, [...text])), whole, "one character at a time");
  return whole;
}

const tools = () => new TemplateToolCallShaper(qwen, ["get_weather", "get_time"]);

test("a call in the template's format: text before it, then start, argument deltas and the parsed call", () => {
  const outputs = shapeEverySplit(tools, 'Let me check.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');
  assert.deepEqual(outputs, [
    { type: "text", text: "Let me check." },
    { type: "tool-call-start", id: "call0", name: "get_weather" },
    { type: "tool-call-delta", id: "call0", argumentsDelta: '{"city": "Paris"}' },
    { type: "tool-call", id: "call0", name: "get_weather", arguments: { city: "Paris" }, argumentsText: '{"city": "Paris"}' },
  ]);
});

test("the call is told the moment its arguments close, before the format's closing text", () => {
  const shaper = tools();
  const outputs = shaper.push('<tool_call>\n{"name": "get_time", "arguments": {"zone": "}{\\""}');
  assert.deepEqual(outputs.at(-1), { type: "tool-call", id: outputs[0]!.type === "tool-call-start" ? outputs[0]!.id : "", name: "get_time", arguments: { zone: '}{"' }, argumentsText: '{"zone": "}{\\""}' });
  assert.deepEqual(shaper.push("}\n</tool_call>"), []);
});

test("calls one after another; whitespace between them is not text, text after them is", () => {
  const outputs = shapeEverySplit(tools, '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>\n<tool_call>\n{"name":"get_weather","arguments":{"city":"Rome"}}\n</tool_call>\n\nDone.');
  assert.deepEqual(
    outputs.map((output) => (output as { type: string }).type),
    ["tool-call-start", "tool-call-delta", "tool-call", "tool-call-start", "tool-call-delta", "tool-call", "text"],
  );
  assert.deepEqual((outputs[5] as { arguments: unknown }).arguments, { city: "Rome" });
  assert.deepEqual(outputs[6], { type: "text", text: "Done." });
});

test("a prefix that names no tool is text after all, and so is a prefix cut off at the end", () => {
  assert.deepEqual(shapeEverySplit(tools, '<tool_call>\n{"name": "delete_all", "arguments": {}}'), [{ type: "text", text: '<tool_call>\n{"name": "delete_all", "arguments": {}}' }]);
  assert.deepEqual(shapeEverySplit(tools, "I will <tool_ca"), [{ type: "text", text: "I will <tool_ca" }]);
  assert.deepEqual(shapeEverySplit(tools, "a < b and <tool> too"), [{ type: "text", text: "a < b and <tool> too" }]);
});

test("only what could still be the prefix is held back", () => {
  const shaper = tools();
  assert.deepEqual(shaper.push("Sure <tool"), [{ type: "text", text: "Sure " }]);
  assert.deepEqual(shaper.push("box>"), [{ type: "text", text: "<toolbox>" }]);
});

test("a tool whose name begins another's: the text tells them apart", () => {
  const functionary: ToolCallSyntax = { prefixes: [">>>"], argumentsPrefix: () => "\n", suffix: "" };
  const make = () => new TemplateToolCallShaper(functionary, ["get", "get_time"]);
  const names = (text: string) => shapeEverySplit(make, text).flatMap((output) => ((output as { type: string }).type === "tool-call" ? [(output as { name: string }).name] : []));
  assert.deepEqual(names('>>>get_time\n{"zone": "CET"}'), ["get_time"]);
  assert.deepEqual(names('>>>get\n{"key": 1}'), ["get"]);
});

test("node-llama-cpp's generic syntax, with arguments and without", () => {
  const outputs = shapeEverySplit(() => new TemplateToolCallShaper(generic, ["get_time"]), "||call: get_time()||call:get_time({\"zone\": 2})");
  assert.deepEqual(
    outputs.filter((output) => (output as { type: string }).type === "tool-call").map((output) => (output as { arguments: unknown }).arguments),
    [{}, { zone: 2 }],
  );
});

test("arguments cut short: no call when the generation was stopped, an error when the model ended there", () => {
  const text = '<tool_call>\n{"name": "get_time", "arguments": {"zone": "U';
  assert.equal(run(tools, [text], false).filter((output) => output.type === "tool-call").length, 0);
  assert.throws(() => run(tools, [text], true), GenerationError);
});

test("thinking becomes reasoning, the whitespace around its markers neither reasoning nor text", () => {
  const outputs = shapeEverySplit(() => new ThoughtShaper(think, true), "<think>\nThe user wants X.\nMaybe Y.\n</think>\n\nAnswer.");
  assert.deepEqual(outputs, [
    { type: "reasoning", text: "The user wants X.\nMaybe Y." },
    { type: "text", text: "Answer." },
  ]);
});

test("thinking left out when not asked for; a thought opened by the prompt starts the reply", () => {
  assert.deepEqual(shapeEverySplit(() => new ThoughtShaper(think, false), "<think>\nhmm\n</think>\n\nAnswer."), [{ type: "text", text: "Answer." }]);
  const opened = { ...think, opensAtStart: true };
  assert.deepEqual(shapeEverySplit(() => new ThoughtShaper(opened, true), "hmm\n</think>\nAnswer."), [
    { type: "reasoning", text: "hmm" },
    { type: "text", text: "Answer." },
  ]);
  assert.deepEqual(shapeEverySplit(() => new ThoughtShaper(opened, true), "<think>\nhmm\n</think>\nAnswer."), [
    { type: "reasoning", text: "hmm" },
    { type: "text", text: "Answer." },
  ]);
});

test("thinking, then a call: the shapers chained", () => {
  const make = () => chainShapers([new ThoughtShaper(think, true), tools()])!;
  const outputs = shapeEverySplit(make, '<think>\nNeeds the weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>');
  assert.deepEqual(
    outputs.map((output) => (output as { type: string }).type),
    ["reasoning", "tool-call-start", "tool-call-delta", "tool-call"],
  );
});
